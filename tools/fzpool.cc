// fzpool over the real engine.
#include "tools/fzpool_main.h"

int main(int argc, char** argv) {
  return fzfs::fzpool_main(argc, argv, {fzfs::Pool::discover, fzfs::Pool::import, fzfs::Pool::create});
}
