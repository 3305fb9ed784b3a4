#include "tools/table.h"

#include <gtest/gtest.h>

namespace fzfs {
namespace {

// The reference texts are zfs-fuse's own `zfs list` / `zpool list` / `zfs get` output.
Table zfs_list() {
  Table t({{"NAME"}, {"USED", true, 5, true}, {"AVAIL", true, 5, true},
           {"REFER", true, 5, true}, {"MOUNTPOINT"}, {"TYPE"}});
  t.add_row({"h4", "5.40M", "85.6M", "120K", "/h4", "filesystem"});
  t.add_row({"h4/fs", "4.74M", "85.6M", "4.74M", "/h4/fs", "filesystem"});
  t.add_row({"h4/fs@s1", "0", "-", "4.74M", "-", "snapshot"});
  t.add_row({"h4/nomp", "112K", "85.6M", "112K", "none", "filesystem"});
  return t;
}

TEST(Table, ZfsListLayout) {
  EXPECT_EQ(zfs_list().render(false),
            "NAME       USED  AVAIL  REFER  MOUNTPOINT  TYPE\n"
            "h4        5.40M  85.6M   120K  /h4         filesystem\n"
            "h4/fs     4.74M  85.6M  4.74M  /h4/fs      filesystem\n"
            "h4/fs@s1      0      -  4.74M  -           snapshot\n"
            "h4/nomp    112K  85.6M   112K  none        filesystem\n");
}

TEST(Table, ScriptedIsTabSeparatedWithoutHeader) {
  EXPECT_EQ(zfs_list().render(true),
            "h4\t5.40M\t85.6M\t120K\t/h4\tfilesystem\n"
            "h4/fs\t4.74M\t85.6M\t4.74M\t/h4/fs\tfilesystem\n"
            "h4/fs@s1\t0\t-\t4.74M\t-\tsnapshot\n"
            "h4/nomp\t112K\t85.6M\t112K\tnone\tfilesystem\n");
}

TEST(Table, ZpoolListMinimumWidths) {
  Table t({{"NAME"}, {"SIZE", true, 5, true}, {"ALLOC", true, 5, true}, {"FREE", true, 5, true},
           {"CAP", true, 5, true}, {"DEDUP", true, 5, true}, {"HEALTH"}, {"ALTROOT"}});
  t.add_row({"h4", "123M", "5.80M", "117M", "4%", "1.00x", "ONLINE", "-"});
  EXPECT_EQ(t.render(false),
            "NAME   SIZE  ALLOC   FREE    CAP  DEDUP  HEALTH  ALTROOT\n"
            "h4     123M  5.80M   117M     4%  1.00x  ONLINE  -\n");
}

TEST(Table, FixedColumnsWidenOnlyForExactValues) {
  Table t({{"NAME"}, {"USED", true, 5, true}});
  t.add_row({"h4", "5664768"});
  EXPECT_EQ(t.render(false, false), "NAME   USED\nh4    5664768\n");
  EXPECT_EQ(t.render(false, true), "NAME     USED\nh4    5664768\n");
}

TEST(Table, GetLayoutGrowsWithContent) {
  Table t({{"NAME"}, {"PROPERTY"}, {"VALUE"}, {"SOURCE"}});
  t.add_row({"h4", "used", "5664768", "-"});
  EXPECT_EQ(t.render(false, true),
            "NAME  PROPERTY  VALUE    SOURCE\n"
            "h4    used      5664768  -\n");
}

}  // namespace
}  // namespace fzfs
