// fzdb: walk a pool's on-disk structures, top to bottom, explaining each line.
//
//   fzdb -l DEVICE                 the four labels of a device and their uberblocks
//   fzdb -p DIR POOL               the active uberblock, the MOS object directory, datasets
//   fzdb -p DIR -C POOL            the pool configuration (MOS copy)
//   fzdb -p DIR -u POOL            every valid uberblock found, newest first
//   fzdb -p DIR -d POOL[/DS[@S]]   the objects of a dataset (or of the MOS, for POOL)
//   fzdb -p DIR -dd  ... [OBJ...]  ... with their bonus fields decoded
//   fzdb -p DIR -ddd ... [OBJ...]  ... with every block pointer of their block trees
//   fzdb -p DIR -b POOL            traverse every block and check it against the space maps
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <optional>

#include "engine/dmu/dmu_types.h"
#include "engine/dsl/dsl_phys.h"
#include "engine/pool/block_check.h"
#include "engine/pool/pool_impl.h"
#include "engine/spa/uberblock.h"
#include "engine/util/byteorder.h"
#include "engine/vdev/label.h"
#include "engine/zap/zap.h"
#include "engine/zpl/sa.h"
#include "engine/zpl/zpl_fs.h"

namespace fzfs {
namespace {

void print_uberblock(const Uberblock& ub, const char* indent) {
  fmt::print("{}txg {}  (transaction group that wrote it)\n", indent, ub.txg);
  fmt::print("{}version {}  (pool on-disk version)\n", indent, ub.version);
  fmt::print("{}timestamp {}  (seconds since 1970 of the sync)\n", indent, ub.timestamp);
  fmt::print("{}guid_sum {:#x}  (sum of every vdev guid: detects missing devices)\n", indent, ub.guid_sum);
  fmt::print("{}byte order {}  (of the host that wrote it)\n", indent, ub.little ? "little-endian" : "big-endian");
  fmt::print("{}rootbp {}  (the MOS objset)\n", indent, ub.rootbp.to_string());
  fmt::print("{}found on {} label {} slot {}\n", indent, ub.device, ub.label, ub.slot);
}

int dump_labels(const std::string& path, bool show_ub) {
  auto dev = open_file_device(path, false, false);
  if (!dev.ok()) {
    fmt::print(stderr, "fzdb: cannot open '{}': {}\n", path, dev.error().message());
    return 1;
  }
  auto labels = read_vdev_labels(**dev);
  int good = 0;
  for (const VdevLabel& l : labels) {
    fmt::print("------------------------------------------------------------\n");
    fmt::print("LABEL {} at byte {:#x} of {}  (four copies: two at the front, two at the end)\n", l.index, l.offset,
               path);
    fmt::print("------------------------------------------------------------\n");
    if (!l.valid) {
      fmt::print("    invalid: {}\n", l.error);
      continue;
    }
    good++;
    fmt::print("    config nvlist (112 KiB region at {:#x}, checksum verified):\n", l.offset + kVdevPhysOffset);
    fmt::print("{}", l.config->to_string(8));
    uint64_t ashift = 9;
    if (const NvList* t = l.config->get_nvlist("vdev_tree")) ashift = t->get_u64("ashift").value_or(9);
    const uint64_t slot = uberblock_slot_size(ashift);
    auto ubs = uberblocks_in_ring(l.ring, l.ring_offset, ashift, path, l.index);
    std::optional<Uberblock> best;
    for (const Uberblock& ub : ubs) {
      if (!best || ub.better_than(*best)) best = ub;
      if (show_ub) {
        fmt::print("    uberblock slot {}:\n", ub.slot);
        print_uberblock(ub, "        ");
      }
    }
    fmt::print("    uberblock ring: {} valid of {} slots of {} bytes; newest txg {}\n", ubs.size(),
               kUberblockRingSize / slot, slot, best ? best->txg : 0);
  }
  return good > 0 ? 0 : 1;
}

std::string bonus_summary(const Dnode& dn) {
  if (dn.bonustype == kOtDslDir) {
    auto d = DslDirPhys::decode(dn.bonus, dn.little);
    if (!d.ok()) return d.error().message();
    return fmt::format("dsl_dir: head_dataset {} parent {} origin {} child_dir_zap {} props_zap {} used {}",
                       d->head_dataset_obj, d->parent_obj, d->origin_obj, d->child_dir_zapobj, d->props_zapobj,
                       d->used_bytes);
  }
  if (dn.bonustype == kOtDslDataset) {
    auto d = DslDatasetPhys::decode(dn.bonus, dn.little);
    if (!d.ok()) return d.error().message();
    return fmt::format("dsl_dataset: dir {} prev_snap {} snapnames_zap {} creation_txg {} referenced {} guid {}\n"
                       "          bp {}",
                       d->dir_obj, d->prev_snap_obj, d->snapnames_zapobj, d->creation_txg, d->referenced_bytes,
                       d->guid, d->bp.to_string());
  }
  if (dn.bonustype == kOtZnode || dn.bonustype == kOtSa) {
    return fmt::format("{} of {} bytes; its attributes:", dn.bonustype == kOtSa ? "system attributes" : "znode_phys",
                       dn.bonus.size());
  }
  if (dn.bonus.empty()) return "none";
  return fmt::format("bonus type {} ({}), {} bytes", dn.bonustype, dmu_type_name(dn.bonustype), dn.bonus.size());
}

void dump_block_tree(const Objset& os, const Blkptr& bp, int level_indent, int depth) {
  std::string pad(level_indent * 2 + 10, ' ');
  fmt::print("{}{}\n", pad, bp.to_string());
  if (bp.is_hole() || bp.embedded() || bp.level() == 0 || depth > 12) return;
  auto blk = os.reader()->read(bp);
  if (!blk.ok()) {
    fmt::print("{}  (unreadable: {})\n", pad, blk.error().message());
    return;
  }
  for (size_t off = 0; off + kBlkptrSize <= (*blk)->size(); off += kBlkptrSize) {
    Blkptr child = Blkptr::decode((*blk)->data() + off, bp.little_endian());
    if (child.is_hole() && child.birth == 0) continue;
    dump_block_tree(os, child, level_indent + 1, depth + 1);
  }
}

void dump_object(const Objset& os, uint64_t obj, int detail, const SaRegistry* sa) {
  auto dn = os.dnode(obj);
  if (!dn.ok()) {
    if (dn.error().code() != ENOENT) fmt::print("{:>10}  error: {}\n", obj, dn.error().message());
    return;
  }
  fmt::print("{:>10} {:>4} {:>7} {:>7} {:>10} {:>5}  {}\n", obj, dn->nlevels, dn->indblkshift ? 1u << dn->indblkshift : 0,
             dn->data_block_size(), dn->used_bytes(), dn->slot_count(), dmu_type_name(dn->type));
  if (detail < 2) return;
  fmt::print("          bonus: {}\n", bonus_summary(*dn));
  if (sa && (dn->bonustype == kOtSa || dn->bonustype == kOtZnode)) {
    auto attrs = dn->bonustype == kOtSa ? parse_sa(dn->bonus, *sa) : parse_legacy_znode(dn->bonus, dn->bonus_foreign(), *sa);
    if (attrs.ok()) {
      for (const SaAttr& a : attrs->all()) {
        if (a.bytes.size() == 8) fmt::print("          {} = {}\n", a.name, load<uint64_t>(a.bytes.data()));
        else if (a.bytes.size() == 16)
          fmt::print("          {} = {} {}\n", a.name, load<uint64_t>(a.bytes.data()), load<uint64_t>(a.bytes.data() + 8));
        else fmt::print("          {} = <{} bytes>\n", a.name, a.bytes.size());
      }
    }
  }
  if (dn->type == kOtObjectDirectory || dn->type == kOtDirectoryContents || dn->type == kOtMasterNode ||
      dn->type == kOtDslDirChildMap || dn->type == kOtDslDsSnapMap || dn->type == kOtDslProps ||
      dn->type == kOtZapOther || dn->type == kOtSaMasterNode || dn->type == kOtSaAttrRegistration ||
      dn->type == kOtSaAttrLayouts || dn->type == kOtPoolProps) {
    auto od = os.object_data(*dn);
    auto zap = ZapReader::open(*od);
    if (zap.ok()) {
      fmt::print("          {} ZAP, {} entries:\n", zap->is_micro() ? "micro" : "fat", zap->count());
      (void)zap->list([&](const ZapEntry& e) {
        std::string val;
        if (e.int_size == 1) val = "\"" + std::string(e.bytes.begin(), e.bytes.end()) + "\"";
        else for (uint64_t v : e.ints) val += fmt::format("{} ", v);
        fmt::print("            {} = {}\n", e.name, val);
        return true;
      });
    }
  }
  if (detail >= 3) {
    fmt::print("          block tree ({} levels, maxblkid {}):\n", dn->nlevels, dn->maxblkid);
    for (size_t i = 0; i < dn->blkptr.size(); i++) {
      const Blkptr& bp = dn->blkptr[i];
      if (i > 0 && bp.is_hole() && bp.birth == 0) continue;  // a slot never used
      dump_block_tree(os, bp, 0, 0);
    }
    if (dn->spill) fmt::print("          spill: {}\n", dn->spill->to_string());
  }
}

int dump_objset(PoolImpl& pool, const std::string& target, int detail, const std::vector<uint64_t>& objects) {
  std::shared_ptr<Objset> os;
  std::optional<SaRegistry> sa;
  if (target == pool.name()) {
    fmt::print("Meta objset (MOS) of pool {}:\n", pool.name());
    os = std::shared_ptr<Objset>(const_cast<Objset*>(&pool.dsl().mos()), [](Objset*) {});
  } else {
    auto node = pool.dsl().find(target);
    if (!node.ok()) {
      fmt::print(stderr, "fzdb: {}\n", node.error().message());
      return 1;
    }
    auto o = Objset::open(pool.spa().reader(), node->ds.bp);
    if (!o.ok()) {
      fmt::print(stderr, "fzdb: {}: {}\n", target, o.error().message());
      return 1;
    }
    os = *o;
    fmt::print("Dataset {} (objset {}), {} objects at most:\n", target, node->ds.bp.to_string(), os->max_object());
    if (os->type() == ObjsetType::kZfs) {
      auto fs = pool.open_filesystem(target);
      if (fs.ok()) {
        if (auto zpl = std::dynamic_pointer_cast<ZplFs>(*fs)) sa = zpl->sa_registry();
      }
      if (!sa) sa = SaRegistry::legacy();
    }
  }
  fmt::print("{:>10} {:>4} {:>7} {:>7} {:>10} {:>5}  {}\n", "Object", "lvl", "iblk", "dblk", "dsize", "slots", "type");
  if (!objects.empty()) {
    for (uint64_t o : objects) dump_object(*os, o, detail, sa ? &*sa : nullptr);
  } else {
    for (uint64_t o = 0; o < os->max_object(); o++) dump_object(*os, o, detail, sa ? &*sa : nullptr);
  }
  return 0;
}

int dump_pool(PoolImpl& pool, bool config, bool ubs) {
  const Uberblock& ub = pool.dsl().uberblock();
  fmt::print("Pool {} (guid {}), version {}\n\n", pool.name(), pool.guid(), pool.version());
  fmt::print("Active uberblock (newest valid one whose MOS reads):\n");
  print_uberblock(ub, "    ");
  if (ubs) {
    fmt::print("\nAll valid uberblocks, newest first:\n");
    for (const Uberblock& u : pool.spa().uberblocks())
      fmt::print("    txg {:>8}  {}  label {} slot {:>3}  {}\n", u.txg, u.timestamp, u.label, u.slot, u.device);
  }
  if (config) {
    fmt::print("\nPool configuration (the MOS \"config\" object):\n{}", pool.dsl().mos_config().to_string(4));
  }
  fmt::print("\nMOS object directory (object 1):\n");
  auto od = pool.dsl().object_directory();
  if (od.ok()) {
    for (const ZapEntry& e : *od) {
      std::string val;
      for (uint64_t v : e.ints) val += fmt::format("{} ", v);
      fmt::print("    {} = {}\n", e.name, val);
    }
  }
  fmt::print("\nDatasets (DSL directory tree; objects are MOS object numbers):\n");
  auto nodes = pool.dsl().walk();
  if (!nodes.ok()) {
    fmt::print(stderr, "fzdb: {}\n", nodes.error().message());
    return 1;
  }
  for (const DslNode& n : *nodes)
    fmt::print("    {:<40} dataset obj {:>5}  dir obj {:>5}  txg {:>6}  refer {:>10}  objset {}\n", n.name, n.ds_obj,
               n.dir_obj, n.ds.creation_txg, n.ds.referenced_bytes, n.ds.bp.to_string());
  return 0;
}

void print_tally(const std::string& what, const BlockTally& t) {
  fmt::print("    {:<28} {:>10} {:>14} {:>14} {:>14}\n", what, t.blocks, t.lsize, t.psize, t.asize);
}

int check_blocks(PoolImpl& pool, int verbosity) {
  fmt::print("Traversing all blocks of pool {} to verify nothing leaked...\n\n", pool.name());
  auto r = check_block_allocation(pool);
  if (!r.ok()) {
    fmt::print(stderr, "fzdb: {}\n", r.error().message());
    return 1;
  }
  fmt::print("    {:<28} {:>10} {:>14} {:>14} {:>14}\n", "", "blocks", "logical", "physical", "allocated");
  print_tally("total", r->total);
  print_tally("pending frees (bpobjs)", r->pending_free);
  if (verbosity > 1) {
    for (const auto& [type, t] : r->by_type) print_tally(std::string(dmu_type_name(type)), t);
  }
  fmt::print("\n    objsets {}, dnodes {}, ZIL blocks {}, gang headers {}, embedded block pointers {}\n",
             r->objsets, r->dnodes, r->zil_blocks, r->gang_headers, r->embedded);
  fmt::print("    space maps: {} bytes allocated (sum of smp_alloc), {} after replay\n", r->space_map_alloc,
             r->space_map_replayed);
  if (r->log_space_maps > 0)
    fmt::print("    log space maps: {}, {} unflushed entries applied (metaslab smp_alloc does not count them)\n",
               r->log_space_maps, r->log_entries);
  fmt::print("    claimed by blocks: {} bytes\n\n", r->claimed_bytes);
  fmt::print("leaked: {} bytes in {} ranges\n", r->leaked_bytes, r->leaked_ranges);
  fmt::print("referenced but not allocated: {} bytes in {} ranges\n", r->unallocated_bytes, r->unallocated_ranges);
  fmt::print("double allocated: {} bytes in {} blocks\n", r->double_bytes, r->double_blocks);
  for (const std::string& p : r->problems) fmt::print("    {}\n", p);
  return r->clean() ? 0 : 1;
}

}  // namespace
}  // namespace fzfs

int main(int argc, char** argv) {
  using namespace fzfs;
  CLI::App app{"fzdb: inspect a ZFS pool's on-disk structures"};
  std::string label_dev;
  std::vector<std::string> dirs;
  int detail = 0;
  bool config = false, ubs = false, exported = false;
  int blocks = 0;
  std::vector<std::string> args;
  app.add_option("-l", label_dev, "print the labels of DEVICE");
  app.add_option("-p", dirs, "search DIR for the pool's devices (repeatable)")->allow_extra_args(false);
  app.add_flag("-d", detail, "dataset objects; repeat for more detail (-dd bonus, -ddd block trees)");
  app.add_flag("-b", blocks, "traverse all blocks and check them against the space maps (-bb: by type)");
  app.add_flag("-C", config, "print the pool configuration");
  app.add_flag("-u", ubs, "print uberblocks");
  app.add_flag("-e", exported, "the pool is exported (accepted for zdb compatibility; fzdb always scans)");
  app.add_option("target", args, "POOL or POOL/DATASET[@SNAP], then object numbers");
  CLI11_PARSE(app, argc, argv);

  if (!label_dev.empty()) return dump_labels(label_dev, ubs);
  if (args.empty()) {
    fmt::print(stderr, "fzdb: name a pool (with -p DIR) or use -l DEVICE\n");
    return 2;
  }
  if (dirs.empty()) dirs.push_back("/dev");
  std::string target = args[0];
  std::string pool_name = target.substr(0, target.find_first_of("/@"));
  ImportOptions opts;
  opts.search_dirs = dirs;
  opts.pool = pool_name;
  auto pool = PoolImpl::import(opts);
  if (!pool.ok()) {
    fmt::print(stderr, "fzdb: cannot open '{}': {}\n", pool_name, pool.error().message());
    return 1;
  }
  std::vector<uint64_t> objects;
  for (size_t i = 1; i < args.size(); i++) {
    try {
      objects.push_back(std::stoull(args[i]));
    } catch (...) {
      fmt::print(stderr, "fzdb: '{}' is not an object number\n", args[i]);
      return 2;
    }
  }
  if (blocks > 0) return check_blocks(**pool, blocks);
  if (detail > 0) return dump_objset(**pool, target, detail, objects);
  return dump_pool(**pool, config, ubs);
}
