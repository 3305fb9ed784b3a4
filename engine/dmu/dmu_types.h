// DMU object types (dnode_phys.dn_type and blk_prop's type byte). Only the ones the
// engine acts on are named; the rest are numbers shown by fzdb.
#pragma once

#include <cstdint>
#include <string_view>

namespace fzfs {

enum DmuType : uint8_t {
  kOtNone = 0, kOtObjectDirectory = 1, kOtObjectArray = 2, kOtPackedNvlist = 3,
  kOtPackedNvlistSize = 4, kOtBpobj = 5, kOtBpobjHdr = 6, kOtSpaceMapHeader = 7,
  kOtSpaceMap = 8, kOtIntentLog = 9, kOtDnode = 10, kOtObjset = 11, kOtDslDir = 12,
  kOtDslDirChildMap = 13, kOtDslDsSnapMap = 14, kOtDslProps = 15, kOtDslDataset = 16,
  kOtZnode = 17, kOtOldAcl = 18, kOtPlainFileContents = 19, kOtDirectoryContents = 20,
  kOtMasterNode = 21, kOtUnlinkedSet = 22, kOtZvol = 23, kOtZvolProp = 24,
  kOtPlainOther = 25, kOtUint64Other = 26, kOtZapOther = 27, kOtErrorLog = 28,
  kOtSpaHistory = 29, kOtSpaHistoryOffsets = 30, kOtPoolProps = 31, kOtDslPerms = 32,
  kOtAcl = 33, kOtSysAcl = 34, kOtFuid = 35, kOtFuidSize = 36, kOtNextClones = 37,
  kOtScanQueue = 38, kOtUsergroupUsed = 39, kOtUsergroupQuota = 40, kOtUserrefs = 41,
  kOtDdtZap = 42, kOtDdtStats = 43, kOtSa = 44, kOtSaMasterNode = 45,
  kOtSaAttrRegistration = 46, kOtSaAttrLayouts = 47, kOtScanXlate = 48, kOtDedup = 49,
  kOtDeadlist = 50, kOtDeadlistHdr = 51, kOtDslClones = 52, kOtBpobjSubobj = 53,
  kOtNumTypes = 54,
};

// Types with bit 7 set are "new" types that encode their properties in the number:
// bits 0..5 byteswap class, bit 6 metadata, bit 5 encrypted.
inline constexpr uint8_t kOtNewType = 0x80;

std::string_view dmu_type_name(uint8_t t);

}  // namespace fzfs
