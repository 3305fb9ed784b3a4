#include "tools/prop_order.h"

#include <algorithm>
#include <set>

namespace fzfs {

namespace {

const std::vector<std::string>& zfs_native() {
  static const std::vector<std::string> v = {
      "type", "creation", "used", "available", "referenced", "compressratio", "mounted",
      "origin", "quota", "reservation", "volsize", "volblocksize", "recordsize", "mountpoint",
      "sharenfs", "checksum", "compression", "atime", "devices", "exec", "setuid", "readonly",
      "zoned", "snapdir", "aclmode", "aclinherit", "createtxg", "canmount", "xattr", "copies",
      "version", "utf8only", "normalization", "casesensitivity", "vscan", "nbmand", "sharesmb",
      "refquota", "refreservation", "guid", "primarycache", "secondarycache",
      "usedbysnapshots", "usedbydataset", "usedbychildren", "usedbyrefreservation",
      "defer_destroy", "userrefs", "logbias", "objsetid", "dedup", "mlslabel", "sync",
      "dnodesize", "refcompressratio", "written", "clones", "logicalused",
      "logicalreferenced", "volmode", "filesystem_limit", "snapshot_limit",
      "filesystem_count", "snapshot_count", "snapdev", "acltype", "context", "fscontext",
      "defcontext", "rootcontext", "relatime", "redundant_metadata", "overlay",
      "receive_resume_token", "encryption", "keylocation", "keyformat", "pbkdf2iters",
      "encryptionroot", "keystatus", "special_small_blocks", "redact_snaps",
      "snapshots_changed", "prefetch", "volthreading", "direct", "longname"};
  return v;
}

const std::vector<std::string>& zpool_native() {
  static const std::vector<std::string> v = {
      "name", "size", "capacity", "altroot", "health", "guid", "load_guid", "version",
      "bootfs", "delegation", "autoreplace", "cachefile", "failmode", "listsnapshots",
      "autoexpand", "dedupditto", "dedupratio", "free", "allocated", "readonly", "ashift",
      "comment", "expandsize", "freeing", "fragmentation", "leaked", "multihost",
      "checkpoint", "autotrim", "compatibility", "bcloneused", "bclonesaved",
      "bcloneratio", "dedup_table_size", "dedup_table_quota", "last_scrubbed_txg"};
  return v;
}

std::vector<std::string> ordered(const std::vector<std::string>& native,
                                 const std::map<std::string, PropValue>& props) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& n : native)
    if (props.count(n) && seen.insert(n).second) out.push_back(n);
  std::vector<std::string> rest, last;
  for (const auto& [n, v] : props) {
    if (seen.count(n)) continue;
    (n.find('@') != std::string::npos || n.find(':') != std::string::npos ? last : rest)
        .push_back(n);
  }
  out.insert(out.end(), rest.begin(), rest.end());
  out.insert(out.end(), last.begin(), last.end());
  return out;
}

}  // namespace

std::vector<std::string> zfs_get_order(const std::map<std::string, PropValue>& props) {
  return ordered(zfs_native(), props);
}

std::vector<std::string> zpool_get_order(const std::map<std::string, PropValue>& props) {
  return ordered(zpool_native(), props);
}

bool is_zfs_property(const std::string& name) {
  if (name == "name" || name.find(':') != std::string::npos || name.find('@') != std::string::npos)
    return true;
  const auto& v = zfs_native();
  return std::find(v.begin(), v.end(), name) != v.end();
}

}  // namespace fzfs
