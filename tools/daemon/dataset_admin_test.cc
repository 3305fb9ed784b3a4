// The daemon's change requests over an in-memory pool whose file systems have no
// mountpoint (so nothing mounts): the protocol decodes them, each reaches the Pool with
// the right arguments in the right order, and the Pool's errors come back unchanged.
#include <gtest/gtest.h>

#include "tools/daemon/dataset_admin.h"
#include "tools/daemon/protocol.h"

namespace fzfs {
namespace {

using nlohmann::json;

// Keeps datasets by name and logs every change call.
class RecordingPool : public Pool {
 public:
  explicit RecordingPool(std::vector<std::string>* log) : log_(log) {
    add("p", DatasetType::kFilesystem);
    add("p/a", DatasetType::kFilesystem);
    add("p/a/b", DatasetType::kFilesystem);
    add("p/a@s", DatasetType::kSnapshot);
  }
  void add(const std::string& name, DatasetType type) {
    DatasetInfo ds;
    ds.name = name;
    ds.type = type;
    if (type == DatasetType::kFilesystem) ds.props["mountpoint"] = {"none", std::nullopt, "local"};
    datasets_.push_back(ds);
  }

  const std::string& name() const override { return name_; }
  uint64_t guid() const override { return 1; }
  uint64_t version() const override { return 28; }
  bool readonly() const override { return false; }
  std::map<std::string, PropValue> properties() override { return {}; }
  VdevStatusNode status() override { return {}; }
  std::string health() override { return "ONLINE"; }
  Result<std::vector<DatasetInfo>> datasets() override { return datasets_; }
  Result<std::shared_ptr<Filesystem>> open_filesystem(const std::string&) override {
    return make_error(ENOTSUP, "no file systems here");
  }
  Result<std::vector<std::string>> snapshots_of(const std::string&) override {
    return std::vector<std::string>{};
  }

  Status create_dataset(const std::string& name, const std::map<std::string, std::string>& props,
                        bool parents) override {
    std::string line = "create " + name + (parents ? " -p" : "");
    for (const auto& [k, v] : props) line += " " + k + "=" + v;
    log_->push_back(line);
    add(name, DatasetType::kFilesystem);
    return Status::Ok();
  }
  Status destroy_dataset(const std::string& name, bool recursive) override {
    log_->push_back("destroy " + name + (recursive ? " -r" : ""));
    return fail_next ? make_error(EBUSY, "dataset is busy") : Status::Ok();
  }
  Status rename_dataset(const std::string& from, const std::string& to) override {
    log_->push_back("rename " + from + " " + to);
    return Status::Ok();
  }
  Status set_property(const std::string& ds, const std::string& prop, const std::string& value) override {
    log_->push_back("set " + prop + "=" + value + " " + ds);
    return Status::Ok();
  }
  Status inherit_property(const std::string& ds, const std::string& prop) override {
    log_->push_back("inherit " + prop + " " + ds);
    return Status::Ok();
  }
  Status set_pool_property(const std::string& prop, const std::string& value) override {
    log_->push_back("pool_set " + prop + "=" + value);
    return Status::Ok();
  }
  Status export_pool() override {
    log_->push_back("export");
    return Status::Ok();
  }

  bool fail_next = false;

 private:
  std::vector<std::string>* log_;  // outlives the pool, which close() destroys
  std::string name_ = "p";
  std::vector<DatasetInfo> datasets_;
};

class DatasetAdminTest : public ::testing::Test {
 protected:
  DatasetAdminTest() {
    auto p = std::make_unique<RecordingPool>(&log_);
    pool_ = p.get();
    svc_ = std::make_unique<PoolService>(std::move(p), "");
  }
  json request(const json& req) {
    bool stop = false;
    return handle_request(*svc_, req, &stop);
  }

  std::vector<std::string> log_;
  RecordingPool* pool_;  // owned by svc_
  std::unique_ptr<PoolService> svc_;
};

TEST_F(DatasetAdminTest, RequestsReachThePoolInOrder) {
  EXPECT_TRUE(request({{"op", "create"}, {"name", "p/n"}, {"props", {{"atime", "off"}}}, {"parents", true}})["ok"]);
  EXPECT_TRUE(request({{"op", "set"}, {"name", "p/a"}, {"props", json::array({json::array({"compression", "lz4"}), json::array({"org:x", "1"})})}})["ok"]);
  EXPECT_TRUE(request({{"op", "rename"}, {"name", "p/a/b"}, {"to", "p/c"}})["ok"]);
  EXPECT_TRUE(request({{"op", "destroy"}, {"name", "p/n"}, {"recursive", true}})["ok"]);
  EXPECT_TRUE(request({{"op", "pool_set"}, {"prop", "autoexpand"}, {"value", "on"}})["ok"]);
  EXPECT_EQ(log_, (std::vector<std::string>{
                            "create p/n -p atime=off", "set compression=lz4 p/a", "set org:x=1 p/a",
                            "rename p/a/b p/c", "destroy p/n -r", "pool_set autoexpand=on"}));
}

TEST_F(DatasetAdminTest, RecursiveInheritCoversDescendants) {
  // Native properties skip snapshots; user properties include them.
  ASSERT_TRUE(request({{"op", "inherit"}, {"name", "p/a"}, {"prop", "atime"}, {"recursive", true}})["ok"]);
  ASSERT_TRUE(request({{"op", "inherit"}, {"name", "p/a"}, {"prop", "org:x"}, {"recursive", true}})["ok"]);
  ASSERT_TRUE(request({{"op", "inherit"}, {"name", "p"}, {"prop", "atime"}})["ok"]);
  EXPECT_EQ(log_, (std::vector<std::string>{"inherit atime p/a", "inherit atime p/a/b",
                                                  "inherit org:x p/a", "inherit org:x p/a/b",
                                                  "inherit org:x p/a@s", "inherit atime p"}));
}

TEST_F(DatasetAdminTest, PoolErrorsComeBackUnchanged) {
  pool_->fail_next = true;
  json r = request({{"op", "destroy"}, {"name", "p/a"}, {"recursive", false}});
  EXPECT_FALSE(r["ok"]);
  EXPECT_EQ(r["errno"], EBUSY);
  EXPECT_EQ(r["message"], "dataset is busy");
}

TEST_F(DatasetAdminTest, MalformedRequestsAreRefused) {
  for (const json& req : {json{{"op", "create"}}, json{{"op", "create"}, {"name", 5}},
                          json{{"op", "set"}, {"name", "p"}, {"props", {{"a", 1}}}},
                          json{{"op", "set"}, {"name", "p"}, {"props", json::array({json::array({"a"})})}},
                          json{{"op", "rename"}, {"name", "p/a"}},
                          json{{"op", "inherit"}, {"name", "p/a"}},
                          json{{"op", "pool_set"}, {"prop", "x"}}}) {
    json r = request(req);
    EXPECT_FALSE(r["ok"]) << req.dump();
    EXPECT_EQ(r["message"], "malformed request") << req.dump();
  }
  EXPECT_TRUE(log_.empty());
}

TEST_F(DatasetAdminTest, CloseExportsAReadWritePool) {
  ASSERT_TRUE(svc_->close(false).ok());
  EXPECT_EQ(log_, std::vector<std::string>{"export"});
  json r = request({{"op", "set"}, {"name", "p"}, {"props", json::array()}});
  EXPECT_TRUE(r["ok"]);  // nothing to set: no pool call needed
  r = request({{"op", "pool_set"}, {"prop", "autoexpand"}, {"value", "on"}});
  EXPECT_FALSE(r["ok"]);
  EXPECT_EQ(r["errno"], ENXIO);
}

}  // namespace
}  // namespace fzfs
