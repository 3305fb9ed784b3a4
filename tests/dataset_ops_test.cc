// Dataset commands through the engine (zfs create / rename / set / inherit, and the
// refusals of destroy) on a copy of a real zfs-fuse pool, judged by zfs-fuse:
//   - fzfs imports the pool read-write, makes the changes, checks zfs's error messages
//     for bad requests, writes a file into a new file system, and exports;
//   - fzfs re-imports it read-only and lists the same datasets and properties; every
//     block is accounted for in the space maps;
//   - zfs-fuse imports it, scrubs it with 0 errors, `zfs list` shows the same datasets
//     and `zfs get` the same values and sources; the file reads back; zfs-fuse can
//     itself create in and destroy what fzfs made.
// Labelled "integration"; skips when zfs-fuse or the corpus is absent.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "engine/dsl/prop_set.h"
#include "engine/pool/block_check.h"
#include "engine/pool/pool.h"
#include "engine/pool/pool_impl.h"
#include "tests/corpus.h"
#include "tests/pool_fixture.h"
#include "tests/zfs_fuse.h"

namespace fzfs::test {
namespace {

const char* kPool = "zf-stripe";
const std::vector<std::string> kCompared = {
    "compression", "atime", "checksum", "copies", "quota", "reservation", "recordsize", "mountpoint", "xattr",
    "canmount", "used", "usedbychildren", "usedbydataset", "referenced", "type", "com.fzfs:tag", "org.test:note",
    "org.test:drop"};

// name -> property -> "value\tsource" for the compared properties of file systems.
using PropTable = std::map<std::string, std::map<std::string, std::string>>;

PropTable table_of(const std::vector<DatasetInfo>& all) {
  PropTable t;
  for (const DatasetInfo& d : all) {
    if (d.type != DatasetType::kFilesystem) continue;
    for (const std::string& p : kCompared) {
      auto it = d.props.find(p);
      t[d.name][p] = it == d.props.end() ? "-\t-" : it->second.value + "\t" + it->second.source;
    }
  }
  return t;
}

std::set<std::string> names_of(const std::vector<DatasetInfo>& all) {
  std::set<std::string> out;
  for (const DatasetInfo& d : all) out.insert(d.name);
  return out;
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

void expect_error(const Status& s, const std::string& message) {
  ASSERT_FALSE(s.ok()) << "expected: " << message;
  EXPECT_EQ(s.error().message(), message);
}

std::span<const uint8_t> bytes_of(const std::string& s) {
  return std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

void write_file(Pool& p, const std::string& dataset, const std::string& name, const std::string& content) {
  auto fs = p.open_filesystem(dataset);
  ASSERT_TRUE(fs.ok()) << fs.error().message();
  auto a = (*fs)->create((*fs)->root_object(), name, S_IFREG | 0644, 0, Creds{0, 0});
  ASSERT_TRUE(a.ok()) << a.error().message();
  ASSERT_TRUE((*fs)->write(a->ino, 0, bytes_of(content)).ok());
}

std::string content_for(const std::string& seed, size_t n) {
  std::string s;
  uint64_t x = std::hash<std::string>{}(seed) | 1;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    s.push_back(static_cast<char>('a' + x % 26));
  }
  return s;
}

void refusals(Pool& p) {
  const std::string P = kPool;
  expect_error(p.create_dataset(P + "/data", {}, false), "cannot create 'zf-stripe/data': dataset already exists");
  EXPECT_TRUE(p.create_dataset(P + "/data", {}, true).ok());  // -p: nothing to do
  expect_error(p.create_dataset(P + "/no/such", {}, false), "cannot create 'zf-stripe/no/such': parent does not exist");
  expect_error(p.create_dataset(P + "/bad*", {}, false), "cannot create 'zf-stripe/bad*': invalid character '*' in name");
  expect_error(p.create_dataset("other/x", {}, false), "cannot create 'other/x': no such pool 'other'");
  expect_error(p.create_dataset(P + "/x", {{"compression", "fast"}}, false),
               "cannot create 'zf-stripe/x': 'compression' must be one of 'on | off | lzjb | gzip | gzip-[1-9] | zle'");
  expect_error(p.set_property(P + "/data", "compression", "fast"),
               "cannot set property for 'zf-stripe/data': 'compression' must be one of 'on | off | lzjb | gzip | gzip-[1-9] | zle'");
  expect_error(p.set_property(P + "/data", "recordsize", "100K"),
               "cannot set property for 'zf-stripe/data': 'recordsize' must be power of 2 from 512 to 128k");
  expect_error(p.set_property(P + "/data", "quota", "1K"),
               "cannot set property for 'zf-stripe/data': size is less than current used or reserved space");
  expect_error(p.set_property(P + "/data", "used", "1K"), "cannot set property for 'zf-stripe/data': 'used' is readonly");
  expect_error(p.set_property(P + "/nope", "atime", "off"), "cannot open 'zf-stripe/nope': dataset does not exist");
  expect_error(p.inherit_property(P + "/data", "canmount"), "'canmount' property cannot be inherited");
  expect_error(p.inherit_property(P + "/data", "quota"), "'quota' property cannot be inherited\nuse 'zfs set quota=none' to clear");
  expect_error(p.rename_dataset(P + "/nested", P + "/nested/a/x"),
               "cannot rename to 'zf-stripe/nested/a/x': New dataset name cannot be a descendant of current dataset name");
  expect_error(p.rename_dataset(P + "/gzip", P + "/lzjb"), "cannot rename to 'zf-stripe/lzjb': dataset already exists");
  expect_error(p.rename_dataset(P + "/gzip", "other/gzip"), "cannot rename to 'other/gzip': datasets must be within same pool");
  expect_error(p.destroy_dataset(P + "/copies2", false),
               "cannot destroy 'zf-stripe/copies2': filesystem has children\nuse '-r' to destroy the following datasets:\n"
               "zf-stripe/copies2@all");
  expect_error(p.destroy_dataset(P + "/data", true),
               "cannot destroy 'zf-stripe/data': filesystem has dependent clones\nuse '-R' to destroy the following "
               "datasets:\nzf-stripe/clone1");
  expect_error(p.destroy_dataset(P + "/nested", false),
               "cannot destroy 'zf-stripe/nested': filesystem has children\nuse '-r' to destroy the following datasets:\n"
               "zf-stripe/nested@all\nzf-stripe/nested/a\nzf-stripe/nested/a@all\nzf-stripe/nested/a/b\nzf-stripe/nested/a/b@all");
}

void changes(Pool& p) {
  const std::string P = kPool;
  auto ok = [](const Status& s) { ASSERT_TRUE(s.ok()) << s.error().message(); };
  ok(p.create_dataset(P + "/new", {{"compression", "gzip-3"}, {"com.fzfs:tag", "hello world"}, {"quota", "100M"},
                                   {"recordsize", "32K"}}, false));
  ok(p.create_dataset(P + "/p1/p2/p3", {}, true));
  ok(p.set_property(P + "/data", "atime", "off"));
  ok(p.set_property(P + "/data", "checksum", "sha256"));
  ok(p.set_property(P + "/data", "copies", "2"));
  ok(p.set_property(P + "/data", "org.test:note", "a note"));
  ok(p.set_property(P + "/data", "mountpoint", "/elsewhere/"));
  ok(p.set_property(P + "/data", "xattr", "off"));
  ok(p.set_property(P + "/data", "canmount", "noauto"));
  ok(p.set_property(P + "/nested", "compression", "lzjb"));
  ok(p.set_property(P + "/nested", "reservation", "20M"));
  ok(p.set_property(P + "/nested/a", "quota", "1G"));
  ok(p.set_property(P + "/gzip", "org.test:drop", "x"));
  ok(p.set_property(P + "/gzip", "atime", "off"));
  ok(p.inherit_property(P + "/gzip", "org.test:drop"));
  ok(p.inherit_property(P + "/gzip", "atime"));
  ok(p.inherit_property(P + "/gzip", "compression"));  // gzip's own compression goes
  ok(p.rename_dataset(P + "/p1/p2", P + "/new/moved"));
  ok(p.rename_dataset(P + "/lzjb", P + "/lzjb-renamed"));
  ok(p.destroy_dataset(P + "/clone1", true));   // a clone with a snapshot of its own
  ok(p.destroy_dataset(P + "/copies2", true));  // ditto blocks, a snapshot
  // Opened and written in this session (the engine caches it): still destroyable once
  // nothing holds it, and its unsynced writes are freed too.
  ok(p.create_dataset(P + "/scratch", {}, false));
  write_file(p, P + "/scratch", "tmp.bin", content_for("tmp", 300000));
  {
    auto held = p.open_filesystem(P + "/scratch");
    ASSERT_TRUE(held.ok());
    expect_error(p.destroy_dataset(P + "/scratch", false), "cannot destroy 'zf-stripe/scratch': dataset is busy");
  }
  ok(p.destroy_dataset(P + "/scratch", false));
  write_file(p, P + "/new", "hello.txt", content_for("hello", 100000));
  write_file(p, P + "/new/moved/p3", "deep.txt", content_for("deep", 5000));
}

// zfs destroy -f; a file system zfs-fuse has mounted can be "busy" for a moment.
CommandResult destroy_retrying(ZfsFuse& zf, const std::string& ds) {
  CommandResult d;
  for (int i = 0; i < 20; i++) {
    d = zf.zfs({"destroy", "-f", ds});
    if (d.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return d;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(DatasetOps, ZfsFuseSeesWhatFzfsChanged) {
  if (std::string why = ZfsFuse::unavailable(); !why.empty()) GTEST_SKIP() << why;
  const PoolCase* pc = nullptr;
  auto cases = zfs_fuse_pools();
  for (const auto& c : cases)
    if (c.pool == kPool) pc = &c;
  if (!pc) GTEST_SKIP() << "corpus pool " << kPool << " absent";
  PoolWorkspace ws;
  for (const auto& src : pc->sources) ws.unpack(src);

  std::vector<DatasetInfo> written;
  {
    ImportOptions opts{{ws.devices()}, kPool};
    opts.readonly = false;
    auto p = Pool::import(opts);
    ASSERT_TRUE(p.ok()) << p.error().message();
    refusals(**p);
    changes(**p);
    if (HasFatalFailure()) return;
    ASSERT_TRUE((*p)->sync().ok());  // the files' space, for the listing below
    auto all = (*p)->datasets();
    ASSERT_TRUE(all.ok()) << all.error().message();
    written = *all;
    Status s = (*p)->export_pool();
    ASSERT_TRUE(s.ok()) << s.error().message();
  }
  const PropTable want = table_of(written);
  const std::string P = kPool;
  ASSERT_TRUE(want.count(P + "/new/moved/p3"));
  for (const char* gone : {"/clone1", "/clone1@all", "/copies2", "/copies2@all", "/scratch"})
    EXPECT_FALSE(names_of(written).count(P + gone)) << gone;
  ASSERT_FALSE(want.count(P + "/p1/p2"));
  EXPECT_EQ(want.at(P + "/new").at("compression"), "gzip-3\tlocal");
  EXPECT_EQ(want.at(P + "/new").at("com.fzfs:tag"), "hello world\tlocal");
  EXPECT_EQ(want.at(P + "/new").at("quota"), "100M\tlocal");
  EXPECT_EQ(want.at(P + "/new").at("recordsize"), "32K\tlocal");
  EXPECT_EQ(want.at(P + "/new/moved/p3").at("compression"), "gzip-3\tinherited from zf-stripe/new");
  EXPECT_EQ(want.at(P + "/data").at("mountpoint"), "/elsewhere\tlocal");
  EXPECT_EQ(want.at(P + "/data").at("copies"), "2\tlocal");
  EXPECT_EQ(want.at(P + "/nested/a/b").at("compression"), "lzjb\tinherited from zf-stripe/nested");
  EXPECT_EQ(want.at(P + "/nested").at("reservation"), "20M\tlocal");
  EXPECT_EQ(want.at(P + "/gzip").at("org.test:drop"), "-\t-");
  EXPECT_EQ(want.at(P + "/gzip").at("atime"), "on\tdefault");
  EXPECT_EQ(want.at(P + "/gzip").at("compression"), "off\tdefault");

  {
    ImportOptions opts{{ws.devices()}, kPool};
    auto ro = Pool::import(opts);
    ASSERT_TRUE(ro.ok()) << ro.error().message();
    auto again = (*ro)->datasets();
    ASSERT_TRUE(again.ok()) << again.error().message();
    EXPECT_EQ(names_of(*again), names_of(written));
    EXPECT_EQ(table_of(*again), want);
    auto report = check_block_allocation(*dynamic_cast<PoolImpl*>(ro->get()));
    ASSERT_TRUE(report.ok()) << report.error().message();
    EXPECT_TRUE(report->clean()) << "leaked " << report->leaked_bytes << " unallocated " << report->unallocated_bytes
                                 << " double " << report->double_bytes << ": "
                                 << (report->problems.empty() ? "" : report->problems[0]);
  }

  const std::string scratch = ws.dir() + "/zfs-fuse";
  mkdir(scratch.c_str(), 0755);
  ZfsFuse zf(scratch);
  ASSERT_EQ(zf.start(), "");
  CommandResult imp = zf.zpool({"import", "-d", ws.devices(), "-R", ws.altroot(), kPool});
  ASSERT_TRUE(imp.ok()) << imp.describe();
  CommandResult status = zf.scrub_and_wait(kPool);
  EXPECT_TRUE(status.ok()) << status.describe();

  CommandResult list = zf.zfs({"list", "-H", "-o", "name", "-t", "all", "-r", kPool});
  ASSERT_TRUE(list.ok()) << list.describe();
  auto listed = lines(list.out);
  EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()), names_of(written));

  std::string props;
  for (const std::string& p : kCompared) props += (props.empty() ? "" : ",") + p;
  CommandResult get = zf.zfs({"get", "-H", "-o", "name,property,value,source", "-r", props, kPool});
  ASSERT_TRUE(get.ok()) << get.describe();
  PropTable seen;
  for (const std::string& l : lines(get.out)) {
    std::vector<std::string> f;
    std::istringstream in(l);
    for (std::string x; std::getline(in, x, '\t');) f.push_back(x);
    ASSERT_EQ(f.size(), 4u) << l;
    if (f[0].find('@') != std::string::npos) continue;
    // zfs-fuse shows mount points under the import's altroot.
    if (f[1] == "mountpoint" && f[2].rfind(ws.altroot(), 0) == 0) f[2] = f[2].substr(ws.altroot().size());
    seen[f[0]][f[1]] = f[2] + "\t" + f[3];
  }
  // Space is compared where zfs-fuse's import changes none: it rewrites the MOS (and
  // settles its deferred frees, which the pool root counts) and makes directories for
  // mount points in the file systems above the datasets fzfs created.
  const std::set<std::string> space = {"used", "usedbychildren", "usedbydataset", "referenced"};
  const std::set<std::string> mount_parents = {P, P + "/new", P + "/new/moved"};
  for (const auto& [ds, ps] : want)
    for (const auto& [prop, v] : ps)
      if (!space.count(prop) || !mount_parents.count(ds)) EXPECT_EQ(seen[ds][prop], v) << ds << " " << prop;

  for (const auto& [ds, file, content] : {std::tuple{P + "/new", "hello.txt", content_for("hello", 100000)},
                                          std::tuple{P + "/new/moved/p3", "deep.txt", content_for("deep", 5000)}}) {
    CommandResult mp = zf.zfs({"get", "-H", "-o", "value", "mountpoint", ds});
    ASSERT_TRUE(mp.ok()) << mp.describe();
    const std::string path = mp.out.substr(0, mp.out.find('\n')) + "/" + file;
    std::string got = read_all(path);
    EXPECT_EQ(got.size(), content.size()) << path;
    EXPECT_TRUE(got == content) << path;
  }

  // zfs-fuse works on what fzfs made: a child in it, and destroying them.
  CommandResult c = zf.zfs({"create", P + "/new/moved/p3/byzfs"});
  EXPECT_TRUE(c.ok()) << c.describe();
  CommandResult d = destroy_retrying(zf, P + "/new/moved/p3/byzfs");
  EXPECT_TRUE(d.ok()) << d.describe();
  CommandResult d2 = destroy_retrying(zf, P + "/p1");
  EXPECT_TRUE(d2.ok()) << d2.describe();
  // Its clone gone, the origin file system can go too (its clone links are consistent).
  CommandResult d3 = zf.zfs({"destroy", "-r", "-f", P + "/data"});
  EXPECT_TRUE(d3.ok()) << d3.describe();
  status = zf.scrub_and_wait(kPool);
  EXPECT_TRUE(status.ok()) << status.describe();
  CommandResult exp = zf.zpool({"export", kPool});
  EXPECT_TRUE(exp.ok()) << exp.describe();
  if (!exp.ok()) zf.zpool({"export", "-f", kPool});
  EXPECT_EQ(zf.stop(), "");

  // And fzfs reads the pool zfs-fuse changed.
  ImportOptions opts{{ws.devices()}, kPool};
  auto ro = Pool::import(opts);
  ASSERT_TRUE(ro.ok()) << ro.error().message();
  auto after = (*ro)->datasets();
  ASSERT_TRUE(after.ok()) << after.error().message();
  auto names = names_of(*after);
  EXPECT_FALSE(names.count(P + "/new/moved/p3/byzfs"));
  EXPECT_FALSE(names.count(P + "/p1"));
  EXPECT_FALSE(names.count(P + "/data"));
  EXPECT_TRUE(names.count(P + "/new/moved/p3"));
  auto report = check_block_allocation(*dynamic_cast<PoolImpl*>(ro->get()));
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_TRUE(report->clean()) << "leaked " << report->leaked_bytes << " unallocated " << report->unallocated_bytes;
}


// Space properties zfs-fuse's import leaves alone in `table` (see above): not the pool
// root's, nor those of file systems that get mount point directories for children.
void expect_same_props(const PropTable& want, const PropTable& seen, const std::set<std::string>& mount_parents) {
  const std::set<std::string> space = {"used", "usedbychildren", "usedbydataset", "referenced"};
  for (const auto& [ds, ps] : want)
    for (const auto& [prop, v] : ps)
      if (!space.count(prop) || !mount_parents.count(ds)) {
        auto it = seen.find(ds);
        EXPECT_TRUE(it != seen.end() && it->second.count(prop) && it->second.at(prop) == v)
            << ds << " " << prop << ": want " << v << ", zfs-fuse shows "
            << (it != seen.end() && it->second.count(prop) ? it->second.at(prop) : "nothing");
      }
}

PropTable zfs_get_table(ZfsFuse& zf, const std::string& pool, const std::string& altroot) {
  std::string props;
  for (const std::string& p : kCompared) props += (props.empty() ? "" : ",") + p;
  CommandResult get = zf.zfs({"get", "-H", "-o", "name,property,value,source", "-r", props, pool});
  EXPECT_TRUE(get.ok()) << get.describe();
  PropTable seen;
  for (const std::string& l : lines(get.out)) {
    std::vector<std::string> f;
    std::istringstream in(l);
    for (std::string x; std::getline(in, x, '\t');) f.push_back(x);
    if (f.size() != 4 || f[0].find('@') != std::string::npos) continue;
    if (f[1] == "mountpoint" && f[2].rfind(altroot, 0) == 0) f[2] = f[2].substr(altroot.size());
    seen[f[0]][f[1]] = f[2] + "\t" + f[3];
  }
  return seen;
}

std::string read_back(Pool& p, const std::string& ds, const std::string& name, size_t size) {
  auto fs = p.open_filesystem(ds);
  if (!fs.ok()) return "<" + fs.error().message() + ">";
  auto obj = (*fs)->lookup((*fs)->root_object(), name);
  if (!obj.ok()) return "<" + obj.error().message() + ">";
  std::string out(size + 1, '\0');
  auto n = (*fs)->read(*obj, 0, std::span(reinterpret_cast<uint8_t*>(out.data()), out.size()));
  if (!n.ok()) return "<" + n.error().message() + ">";
  out.resize(*n);
  return out;
}

// A pool fzpool creates at each legacy version (before $ORIGIN, with it, with dead-list
// ZAPs): datasets made, moved and changed by fzfs read back the same in fzfs and, for
// the versions it imports, in zfs-fuse.
class FreshPool : public ::testing::TestWithParam<int> {};

TEST_P(FreshPool, CreateRenameSetOnEveryLegacyVersion) {
  const int version = GetParam();
  const std::string P = "dsv" + std::to_string(version);
  PoolWorkspace ws;
  const std::string dev = ws.make_device("d0", 128ull << 20);
  CreateOptions co;
  co.pool = P;
  co.vdevs = {dev};
  co.pool_props["version"] = std::to_string(version);
  auto made = Pool::create(co);
  ASSERT_TRUE(made.ok()) << made.error().message();

  const std::string a_file = content_for("a" + P, 300000), c_file = content_for("c" + P, 7000);
  std::vector<DatasetInfo> written;
  {
    ImportOptions opts{{ws.devices()}, P};
    opts.readonly = false;
    auto p = Pool::import(opts);
    ASSERT_TRUE(p.ok()) << p.error().message();
    auto ok = [](const Status& s) { ASSERT_TRUE(s.ok()) << s.error().message(); };
    std::map<std::string, std::string> props = {{"compression", "lzjb"}, {"org.x:y", "z"}, {"quota", "50M"}};
    if (version >= 2) props["copies"] = "2";
    ok((*p)->create_dataset(P + "/a", props, false));
    ok((*p)->create_dataset(P + "/a/b/c", {{"recordsize", "8K"}}, true));
    ok((*p)->rename_dataset(P + "/a/b", P + "/b2"));
    ok((*p)->set_property(P + "/b2/c", "atime", "off"));
    ok((*p)->set_property(P + "/b2", "mountpoint", "/m/b2"));
    if (HasFatalFailure()) return;
    ok((*p)->create_dataset(P + "/gone/child", {}, true));
    if (HasFatalFailure()) return;
    write_file(**p, P + "/a", "a.bin", a_file);
    write_file(**p, P + "/b2/c", "c.bin", c_file);
    write_file(**p, P + "/gone/child", "g.bin", content_for("g", 200000));
    ASSERT_TRUE((*p)->export_pool().ok());
  }
  uint64_t root_used_before = 0, gone_used = 0;
  {
    // A new session: the file systems written above are not open (busy) in it.
    ImportOptions opts{{ws.devices()}, P};
    opts.readonly = false;
    auto p = Pool::import(opts);
    ASSERT_TRUE(p.ok()) << p.error().message();
    auto before = (*p)->datasets();
    ASSERT_TRUE(before.ok());
    for (const DatasetInfo& d : *before) {
      if (d.name == P) root_used_before = *d.props.at("used").number;
      if (d.name == P + "/gone") gone_used = *d.props.at("used").number;
    }
    EXPECT_GT(gone_used, 200000u);
    expect_error((*p)->destroy_dataset(P + "/gone", false),
                 "cannot destroy '" + P + "/gone': filesystem has children\nuse '-r' to destroy the following datasets:\n" +
                     P + "/gone/child");
    if (version >= 6) {  // pool properties live in the MOS from v6 on
      ASSERT_TRUE((*p)->set_pool_property("failmode", "continue").ok());
      ASSERT_TRUE((*p)->set_pool_property("autoreplace", "on").ok());
    }
    expect_error((*p)->set_pool_property("failmode", "sometimes"),
                 "cannot set property for '" + P + "': 'failmode' must be one of 'wait | continue | panic'");
    Status s = (*p)->destroy_dataset(P + "/gone", true);
    ASSERT_TRUE(s.ok()) << s.error().message();
    auto all = (*p)->datasets();
    ASSERT_TRUE(all.ok()) << all.error().message();
    written = *all;
    ASSERT_TRUE((*p)->export_pool().ok());
  }
  const PropTable want = table_of(written);
  EXPECT_EQ(names_of(written), (std::set<std::string>{P, P + "/a", P + "/b2", P + "/b2/c"}));
  for (const DatasetInfo& d : written)  // the root gave up what the destroyed tree used (MOS changes aside)
    if (d.name == P) EXPECT_NEAR(double(*d.props.at("used").number), double(root_used_before - gone_used), 256.0 * 1024);
  EXPECT_EQ(want.at(P + "/a").at("compression"), "lzjb\tlocal");
  EXPECT_EQ(want.at(P + "/b2/c").at("recordsize"), "8K\tlocal");
  EXPECT_EQ(want.at(P + "/b2/c").at("mountpoint"), "/m/b2/c\tinherited from " + P + "/b2");
  {
    ImportOptions opts{{ws.devices()}, P};
    auto ro = Pool::import(opts);
    ASSERT_TRUE(ro.ok()) << ro.error().message();
    auto again = (*ro)->datasets();
    ASSERT_TRUE(again.ok()) << again.error().message();
    EXPECT_EQ(table_of(*again), want);
    auto pool_props = stored_pool_properties(dynamic_cast<PoolImpl*>(ro->get())->dsl());
    if (version >= 6) {
      EXPECT_EQ(pool_props["failmode"].value + " " + pool_props["failmode"].source, "continue local");
      EXPECT_EQ(pool_props["autoreplace"].value + " " + pool_props["autoreplace"].source, "on local");
    } else {
      EXPECT_TRUE(pool_props.empty());
    }
    EXPECT_TRUE(read_back(**ro, P + "/a", "a.bin", a_file.size()) == a_file);
    EXPECT_TRUE(read_back(**ro, P + "/b2/c", "c.bin", c_file.size()) == c_file);
    auto report = check_block_allocation(*dynamic_cast<PoolImpl*>(ro->get()));
    ASSERT_TRUE(report.ok()) << report.error().message();
    EXPECT_TRUE(report->clean()) << "leaked " << report->leaked_bytes << " unallocated " << report->unallocated_bytes
                                 << " double " << report->double_bytes << ": "
                                 << (report->problems.empty() ? "" : report->problems[0]);
  }
  if (version > 23) return;  // zfs-fuse imports pool versions up to 23
  if (std::string why = ZfsFuse::unavailable(); !why.empty()) GTEST_SKIP() << why;
  const std::string scratch = ws.dir() + "/zfs-fuse";
  mkdir(scratch.c_str(), 0755);
  ZfsFuse zf(scratch);
  ASSERT_EQ(zf.start(), "");
  CommandResult imp = zf.zpool({"import", "-d", ws.devices(), "-R", ws.altroot(), P});
  ASSERT_TRUE(imp.ok()) << imp.describe();
  CommandResult status = zf.scrub_and_wait(P);
  EXPECT_TRUE(status.ok()) << status.describe();
  CommandResult list = zf.zfs({"list", "-H", "-o", "name", "-t", "all", "-r", P});
  ASSERT_TRUE(list.ok()) << list.describe();
  auto listed = lines(list.out);
  EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()), names_of(written));
  PropTable compared = want;
  // Before v13 (no used breakdown) zfs-fuse reports the usedby* properties as 0, while
  // fzfs's reader derives them (dsl_props.cc); that is a read-path matter, left out here.
  if (version < 13)
    for (auto& [ds, ps] : compared) ps.erase("usedbydataset"), ps.erase("usedbychildren");
  expect_same_props(compared, zfs_get_table(zf, P, ws.altroot()), {P, P + "/b2"});
  if (version >= 6) {
    CommandResult pg = zf.zpool({"get", "failmode,autoreplace", P});
    ASSERT_TRUE(pg.ok()) << pg.describe();
    std::map<std::string, std::string> pool_props;
    for (const std::string& l : lines(pg.out)) {
      std::istringstream in(l);
      std::string n, prop, value, source;
      in >> n >> prop >> value >> source;
      pool_props[prop] = value + " " + source;
    }
    EXPECT_EQ(pool_props["failmode"], "continue local") << pg.out;
    EXPECT_EQ(pool_props["autoreplace"], "on local") << pg.out;
  }
  CommandResult d = destroy_retrying(zf, P + "/b2/c");
  EXPECT_TRUE(d.ok()) << d.describe();
  CommandResult exp = zf.zpool({"export", P});
  EXPECT_TRUE(exp.ok()) << exp.describe();
  if (!exp.ok()) zf.zpool({"export", "-f", P});
  EXPECT_EQ(zf.stop(), "");
  // zfs-fuse has freed the destroyed blocks from the deferred-free list by now.
  ImportOptions opts{{ws.devices()}, P};
  auto ro = Pool::import(opts);
  ASSERT_TRUE(ro.ok()) << ro.error().message();
  auto report = check_block_allocation(*dynamic_cast<PoolImpl*>(ro->get()));
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_TRUE(report->clean()) << "leaked " << report->leaked_bytes << " unallocated " << report->unallocated_bytes;
}

INSTANTIATE_TEST_SUITE_P(Versions, FreshPool, ::testing::Values(1, 5, 10, 11, 15, 23, 26, 28),
                         [](const ::testing::TestParamInfo<int>& i) { return "v" + std::to_string(i.param); });

}  // namespace
}  // namespace fzfs::test
