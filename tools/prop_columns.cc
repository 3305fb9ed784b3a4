#include "tools/prop_columns.h"

#include <algorithm>
#include <cctype>
#include <map>

namespace fzfs {

namespace {

enum class Kind { kNumber, kIndex, kString };

struct Desc {
  const char* header;
  Kind kind;
  size_t index_width;  // longest value of an enumerated property
};

using DescTable = std::map<std::string, Desc>;

const DescTable& zfs_table() {
  static const DescTable t = {
    {"redundant_metadata", {"REDUND_MD", Kind::kIndex, 4}},
    {"sync", {"SYNC", Kind::kIndex, 8}},
    {"checksum", {"CHECKSUM", Kind::kIndex, 9}},
    {"dedup", {"DEDUP", Kind::kIndex, 13}},
    {"compression", {"COMPRESS", Kind::kIndex, 14}},
    {"snapdir", {"SNAPDIR", Kind::kIndex, 8}},
    {"snapdev", {"SNAPDEV", Kind::kIndex, 7}},
    {"aclmode", {"ACLMODE", Kind::kIndex, 11}},
    {"acltype", {"ACLTYPE", Kind::kIndex, 8}},
    {"aclinherit", {"ACLINHERIT", Kind::kIndex, 13}},
    {"copies", {"COPIES", Kind::kIndex, 1}},
    {"primarycache", {"PRIMARYCACHE", Kind::kIndex, 8}},
    {"secondarycache", {"SECONDARYCACHE", Kind::kIndex, 8}},
    {"prefetch", {"PREFETCH", Kind::kIndex, 8}},
    {"logbias", {"LOGBIAS", Kind::kIndex, 10}},
    {"xattr", {"XATTR", Kind::kIndex, 3}},
    {"dnodesize", {"DNSIZE", Kind::kIndex, 6}},
    {"volmode", {"VOLMODE", Kind::kIndex, 7}},
    {"direct", {"DIRECT", Kind::kIndex, 8}},
    {"atime", {"ATIME", Kind::kIndex, 3}},
    {"relatime", {"RELATIME", Kind::kIndex, 3}},
    {"devices", {"DEVICES", Kind::kIndex, 3}},
    {"exec", {"EXEC", Kind::kIndex, 3}},
    {"setuid", {"SETUID", Kind::kIndex, 3}},
    {"readonly", {"RDONLY", Kind::kIndex, 3}},
    {"jailed", {"JAILED", Kind::kIndex, 3}},
    {"zoned", {"ZONED", Kind::kIndex, 3}},
    {"vscan", {"VSCAN", Kind::kIndex, 3}},
    {"nbmand", {"NBMAND", Kind::kIndex, 3}},
    {"overlay", {"OVERLAY", Kind::kIndex, 3}},
    {"version", {"VERSION", Kind::kIndex, 7}},
    {"canmount", {"CANMOUNT", Kind::kIndex, 6}},
    {"mounted", {"MOUNTED", Kind::kIndex, 3}},
    {"defer_destroy", {"DEFER_DESTROY", Kind::kIndex, 3}},
    {"keystatus", {"KEYSTATUS", Kind::kIndex, 11}},
    {"normalization", {"NORMALIZATION", Kind::kIndex, 6}},
    {"casesensitivity", {"CASE", Kind::kIndex, 11}},
    {"keyformat", {"KEYFORMAT", Kind::kIndex, 10}},
    {"encryption", {"ENCRYPTION", Kind::kIndex, 11}},
    {"utf8only", {"UTF8ONLY", Kind::kIndex, 3}},
    {"origin", {"ORIGIN", Kind::kString, 0}},
    {"clones", {"CLONES", Kind::kString, 0}},
    {"mountpoint", {"MOUNTPOINT", Kind::kString, 0}},
    {"sharenfs", {"SHARENFS", Kind::kString, 0}},
    {"type", {"TYPE", Kind::kString, 0}},
    {"sharesmb", {"SHARESMB", Kind::kString, 0}},
    {"mlslabel", {"MLSLABEL", Kind::kString, 0}},
    {"context", {"CONTEXT", Kind::kString, 0}},
    {"fscontext", {"FSCONTEXT", Kind::kString, 0}},
    {"defcontext", {"DEFCONTEXT", Kind::kString, 0}},
    {"rootcontext", {"ROOTCONTEXT", Kind::kString, 0}},
    {"receive_resume_token", {"RESUMETOK", Kind::kString, 0}},
    {"encryptionroot", {"ENCROOT", Kind::kString, 0}},
    {"keylocation", {"KEYLOCATION", Kind::kString, 0}},
    {"redact_snaps", {"RSNAPS", Kind::kString, 0}},
    {"used", {"USED", Kind::kNumber, 0}},
    {"available", {"AVAIL", Kind::kNumber, 0}},
    {"referenced", {"REFER", Kind::kNumber, 0}},
    {"compressratio", {"RATIO", Kind::kNumber, 0}},
    {"refcompressratio", {"REFRATIO", Kind::kNumber, 0}},
    {"volblocksize", {"VOLBLOCK", Kind::kNumber, 0}},
    {"usedbysnapshots", {"USEDSNAP", Kind::kNumber, 0}},
    {"usedbydataset", {"USEDDS", Kind::kNumber, 0}},
    {"usedbychildren", {"USEDCHILD", Kind::kNumber, 0}},
    {"usedbyrefreservation", {"USEDREFRESERV", Kind::kNumber, 0}},
    {"userrefs", {"USERREFS", Kind::kNumber, 0}},
    {"written", {"WRITTEN", Kind::kNumber, 0}},
    {"logicalused", {"LUSED", Kind::kNumber, 0}},
    {"logicalreferenced", {"LREFER", Kind::kNumber, 0}},
    {"filesystem_count", {"FSCOUNT", Kind::kNumber, 0}},
    {"snapshot_count", {"SSCOUNT", Kind::kNumber, 0}},
    {"guid", {"GUID", Kind::kNumber, 0}},
    {"createtxg", {"CREATETXG", Kind::kNumber, 0}},
    {"objsetid", {"OBJSETID", Kind::kNumber, 0}},
    {"quota", {"QUOTA", Kind::kNumber, 0}},
    {"reservation", {"RESERV", Kind::kNumber, 0}},
    {"volsize", {"VOLSIZE", Kind::kNumber, 0}},
    {"refquota", {"REFQUOTA", Kind::kNumber, 0}},
    {"refreservation", {"REFRESERV", Kind::kNumber, 0}},
    {"filesystem_limit", {"FSLIMIT", Kind::kNumber, 0}},
    {"snapshot_limit", {"SSLIMIT", Kind::kNumber, 0}},
    {"recordsize", {"RECSIZE", Kind::kNumber, 0}},
    {"special_small_blocks", {"SPECIAL_SMALL_BLOCKS", Kind::kNumber, 0}},
    {"creation", {"CREATION", Kind::kNumber, 0}},  };
  return t;
}

const DescTable& zpool_table() {
  static const DescTable t = {
    {"name", {"NAME", Kind::kString, 0}},
    {"altroot", {"ALTROOT", Kind::kString, 0}},
    {"bootfs", {"BOOTFS", Kind::kString, 0}},
    {"cachefile", {"CACHEFILE", Kind::kString, 0}},
    {"comment", {"COMMENT", Kind::kString, 0}},
    {"size", {"SIZE", Kind::kNumber, 0}},
    {"free", {"FREE", Kind::kNumber, 0}},
    {"freeing", {"FREEING", Kind::kNumber, 0}},
    {"checkpoint", {"CKPOINT", Kind::kNumber, 0}},
    {"leaked", {"LEAKED", Kind::kNumber, 0}},
    {"allocated", {"ALLOC", Kind::kNumber, 0}},
    {"expandsize", {"EXPANDSZ", Kind::kNumber, 0}},
    {"fragmentation", {"FRAG", Kind::kNumber, 0}},
    {"capacity", {"CAP", Kind::kNumber, 0}},
    {"guid", {"GUID", Kind::kNumber, 0}},
    {"health", {"HEALTH", Kind::kString, 0}},
    {"dedupratio", {"DEDUP", Kind::kNumber, 0}},
    {"version", {"VERSION", Kind::kNumber, 0}},
    {"ashift", {"ASHIFT", Kind::kNumber, 0}},
    {"delegation", {"DELEGATION", Kind::kIndex, 3}},
    {"autoreplace", {"REPLACE", Kind::kIndex, 3}},
    {"listsnapshots", {"LISTSNAPS", Kind::kIndex, 3}},
    {"autoexpand", {"EXPAND", Kind::kIndex, 3}},
    {"readonly", {"RDONLY", Kind::kIndex, 3}},
    {"multihost", {"MULTIHOST", Kind::kIndex, 3}},
    {"failmode", {"FAILMODE", Kind::kIndex, 8}},
    {"autotrim", {"AUTOTRIM", Kind::kIndex, 3}},
    {"dedupditto", {"DEDUPDITTO", Kind::kNumber, 0}},  };
  return t;
}

Column column_for(const DescTable& table, const std::string& prop) {
  if (prop == "name") return {"NAME", false, 0, false};
  auto it = table.find(prop);
  if (it == table.end()) {
    // User properties ("com.example:tag") keep their spelling as header.
    std::string h = prop;
    if (prop.find(':') == std::string::npos)
      std::transform(h.begin(), h.end(), h.begin(), [](unsigned char c) { return std::toupper(c); });
    return {h, false, 0, false};
  }
  const Desc& d = it->second;
  const size_t hw = std::string(d.header).size();
  switch (d.kind) {
    case Kind::kNumber: return {d.header, true, std::max<size_t>(hw, 5), true};
    case Kind::kIndex: return {d.header, false, std::max(hw, d.index_width), true};
    case Kind::kString: break;
  }
  return {d.header, false, hw, false};
}

std::string alias(const std::map<std::string, std::string>& aliases, const std::string& name) {
  auto it = aliases.find(name);
  return it == aliases.end() ? name : it->second;
}

}  // namespace

std::string zfs_prop_name(const std::string& name) {
  static const std::map<std::string, std::string> aliases = {
      {"avail", "available"},       {"refer", "referenced"},      {"reserv", "reservation"},
      {"refreserv", "refreservation"}, {"recsize", "recordsize"}, {"compress", "compression"},
      {"volblock", "volblocksize"}, {"lused", "logicalused"},     {"lrefer", "logicalreferenced"},
      {"ratio", "compressratio"},   {"refratio", "refcompressratio"}, {"rdonly", "readonly"},
      {"dnsize", "dnodesize"},      {"usedsnap", "usedbysnapshots"}, {"usedds", "usedbydataset"},
      {"usedchild", "usedbychildren"}, {"usedrefreserv", "usedbyrefreservation"}};
  return alias(aliases, name);
}

std::string zpool_prop_name(const std::string& name) {
  static const std::map<std::string, std::string> aliases = {
      {"alloc", "allocated"},   {"cap", "capacity"},    {"dedup", "dedupratio"},
      {"expandsz", "expandsize"}, {"frag", "fragmentation"}, {"ckpoint", "checkpoint"},
      {"rdonly", "readonly"},   {"replace", "autoreplace"}, {"listsnaps", "listsnapshots"},
      {"expand", "autoexpand"}};
  return alias(aliases, name);
}

Column zfs_column(const std::string& prop) { return column_for(zfs_table(), prop); }
Column zpool_column(const std::string& prop) { return column_for(zpool_table(), prop); }

}  // namespace fzfs
