#include "tools/status_format.h"

#include <gtest/gtest.h>

namespace fzfs {
namespace {

TEST(StatusFormat, SingleDevicePoolAsZpoolPrintsIt) {
  VdevStatusNode root{"h4", "ONLINE", 0, 0, 0, "", {{"/tmp/h4/a", "ONLINE", 0, 0, 0, "", {}}}};
  // zfs-fuse's `zpool status` for the same pool.
  EXPECT_EQ(format_status("h4", "ONLINE", root),
            "  pool: h4\n"
            " state: ONLINE\n"
            " scrub: none requested\n"
            "config:\n"
            "\n"
            "\tNAME         STATE     READ WRITE CKSUM\n"
            "\th4           ONLINE       0     0     0\n"
            "\t  /tmp/h4/a  ONLINE       0     0     0\n"
            "\n"
            "errors: No known data errors\n");
}

TEST(StatusFormat, NestedVdevsAndErrorCounts) {
  VdevStatusNode root{"tank", "DEGRADED", 0, 0, 0, "", {}};
  root.children.push_back({"mirror-0", "DEGRADED", 0, 0, 0, "",
                           {{"/d/a", "ONLINE", 0, 0, 0, "", {}}, {"/d/b", "FAULTED", 3, 0, 2048, "", {}}}});
  const std::string s = format_status("tank", "DEGRADED", root);
  EXPECT_NE(s.find("\tNAME        STATE     READ WRITE CKSUM\n"), std::string::npos) << s;
  EXPECT_NE(s.find("\t  mirror-0  DEGRADED     0     0     0\n"), std::string::npos) << s;
  EXPECT_NE(s.find("\t    /d/b    FAULTED      3     0    2K\n"), std::string::npos) << s;
}

TEST(StatusFormat, MissingDeviceAndHealthReport) {
  VdevStatusNode root{"m", "DEGRADED", 0, 0, 0, "", {}};
  root.children.push_back({"mirror-0", "DEGRADED", 0, 0, 0, "",
                           {{"4173725778870021413", "UNAVAIL", 0, 0, 0, "was /d/a", {}},
                            {"/d/b", "ONLINE", 0, 0, 0, "", {}}}});
  const std::string s = format_status("m", "DEGRADED", root, HealthReport{"Devices are missing.", "Attach them."});
  EXPECT_NE(s.find(" state: DEGRADED\nstatus: Devices are missing.\naction: Attach them.\n scrub:"),
            std::string::npos) << s;
  EXPECT_NE(s.find("\t    4173725778870021413  UNAVAIL      0     0     0  was /d/a\n"), std::string::npos) << s;
}

TEST(StatusFormat, ImportCandidate) {
  ImportCandidate c;
  c.name = "h4";
  c.guid = 17127160744155141211ull;
  c.state = "ONLINE";
  c.config = {"h4", "ONLINE", 0, 0, 0, "", {{"/tmp/h4/a", "ONLINE", 0, 0, 0, "", {}}}};
  EXPECT_EQ(format_import_candidate(c),
            "   pool: h4\n"
            "     id: 17127160744155141211\n"
            "  state: ONLINE\n"
            " action: The pool can be imported using its name or numeric identifier.\n"
            " config:\n"
            "\n"
            "\th4           ONLINE\n"
            "\t  /tmp/h4/a  ONLINE\n");
}

}  // namespace
}  // namespace fzfs
