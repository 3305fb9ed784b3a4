#include "tools/prop_rules.h"

#include <set>

namespace fzfs {

namespace {

bool in(const std::set<std::string>& s, const std::string& p) { return s.count(p) > 0; }

}  // namespace

bool zfs_prop_is_readonly(const std::string& prop) {
  static const std::set<std::string> ro = {
      "type", "creation", "used", "available", "referenced", "compressratio",
      "refcompressratio", "mounted", "origin", "clones", "defer_destroy", "userrefs",
      "usedbysnapshots", "usedbydataset", "usedbychildren", "usedbyrefreservation",
      "written", "logicalused", "logicalreferenced", "filesystem_count", "snapshot_count",
      "guid", "createtxg", "objsetid", "keystatus", "encryptionroot",
      "receive_resume_token", "redact_snaps", "snapshots_changed",
      // fixed when the dataset is created, so read-only to inherit as well
      "normalization", "casesensitivity", "utf8only", "encryption", "volblocksize",
      "keyformat", "pbkdf2iters"};
  return in(ro, prop);
}

bool zfs_prop_is_inheritable(const std::string& prop) {
  if (prop.find(':') != std::string::npos) return true;
  static const std::set<std::string> own = {
      "version", "canmount", "quota", "reservation", "refquota", "refreservation",
      "volsize", "filesystem_limit", "snapshot_limit", "keyformat", "keylocation",
      "pbkdf2iters", "context", "fscontext", "defcontext", "rootcontext", "volthreading"};
  return !zfs_prop_is_readonly(prop) && !in(own, prop);
}

bool zfs_prop_clears_with_none(const std::string& prop) {
  return prop == "quota" || prop == "reservation" || prop == "refquota" || prop == "refreservation";
}

}  // namespace fzfs
