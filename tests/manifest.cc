#include "tests/manifest.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

namespace fzfs::test {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// "0o100644" (Python's octal spelling) or a plain number.
uint32_t parse_mode(const nlohmann::json& j) {
  if (j.is_number()) return j.get<uint32_t>();
  std::string s = j.get<std::string>();
  if (s.rfind("0o", 0) == 0) s = s.substr(2);
  return static_cast<uint32_t>(std::stoul(s, nullptr, 8));
}

FileEntry parse_entry(const nlohmann::json& j) {
  FileEntry e;
  e.mode = parse_mode(j.at("mode"));
  e.uid = j.at("uid").get<uint32_t>();
  e.gid = j.at("gid").get<uint32_t>();
  e.nlink = j.at("nlink").get<uint64_t>();
  e.mtime = j.at("mtime").get<int64_t>();
  if (j.contains("size")) e.size = j["size"].get<uint64_t>();
  if (j.contains("sha256")) e.sha256 = j["sha256"].get<std::string>();
  if (j.contains("target")) e.target = j["target"].get<std::string>();
  return e;
}

DatasetManifest parse_dataset(const nlohmann::json& j) {
  DatasetManifest d;
  d.name = j.at("name").get<std::string>();
  d.type = j.at("type").get<std::string>();
  if (j.contains("props")) {
    for (const auto& [k, v] : j["props"].items()) {
      d.props[k] = v.is_string() ? v.get<std::string>() : v.dump();
    }
  }
  if (j.contains("files")) {
    FileTree tree;
    for (const auto& [path, entry] : j["files"].items()) tree[path] = parse_entry(entry);
    d.files = std::move(tree);
  }
  return d;
}

}  // namespace

std::string DatasetManifest::prop(const std::string& key) const {
  auto it = props.find(key);
  return it == props.end() ? std::string() : it->second;
}

const DatasetManifest* PoolManifest::find(const std::string& name) const {
  for (const auto& d : datasets) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

std::vector<std::string> PoolManifest::device_names() const {
  std::vector<std::string> names;
  auto config = status.find("config:");
  if (config == std::string::npos) return names;
  std::istringstream words(status.substr(config));
  std::string w;
  while (words >> w) {
    if (!ends_with(w, ".dat")) continue;  // the corpus's device files are all *.dat
    std::string base = w.substr(w.rfind('/') + 1);
    if (base.empty() || base == pool) continue;
    bool seen = false;
    for (const auto& n : names) seen = seen || n == base;
    if (!seen) names.push_back(base);
  }
  return names;
}

std::string read_zstd_file(const std::string& path) {
  std::string in = read_file(path);
  std::unique_ptr<ZSTD_DStream, decltype(&ZSTD_freeDStream)> ds(ZSTD_createDStream(),
                                                                 ZSTD_freeDStream);
  ZSTD_initDStream(ds.get());
  std::string out;
  std::string buf(ZSTD_DStreamOutSize(), '\0');
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  size_t ret = 1;
  while (input.pos < input.size) {
    ZSTD_outBuffer output{buf.data(), buf.size(), 0};
    ret = ZSTD_decompressStream(ds.get(), &output, &input);
    if (ZSTD_isError(ret)) {
      throw std::runtime_error(path + ": zstd: " + ZSTD_getErrorName(ret));
    }
    out.append(buf.data(), output.pos);
  }
  if (ret != 0) throw std::runtime_error(path + ": truncated zstd frame");
  return out;
}

PoolManifest load_manifest(const std::string& path) {
  std::string text = ends_with(path, ".zst") ? read_zstd_file(path) : read_file(path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
  PoolManifest m;
  m.pool = j.at("pool").get<std::string>();
  if (j.contains("version")) {  // written as a number or as a string
    const auto& v = j["version"];
    m.version = v.is_number() ? v.get<uint64_t>() : std::stoull(v.get<std::string>());
  }
  m.status = j.value("status", std::string());
  for (const auto& d : j.at("datasets")) m.datasets.push_back(parse_dataset(d));
  return m;
}

std::string sha256_file(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("open " + path + ": " + strerror(errno));
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                               EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::string buf(1 << 20, '\0');
  for (;;) {
    ssize_t n = read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      close(fd);
      throw std::runtime_error("read " + path + ": " + strerror(e));
    }
    if (n == 0) break;
    EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(n));
  }
  close(fd);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &len);
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (unsigned i = 0; i < len; ++i) {
    s += hex[digest[i] >> 4];
    s += hex[digest[i] & 15];
  }
  return s;
}

}  // namespace fzfs::test
