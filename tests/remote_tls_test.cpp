// Remote stores behind mutual TLS (libcaf_openssl): certificates made for the
// test with the openssl command; a peer with a certificate from the CA is
// served, peers without one (or with TLS off, or from another CA) are not.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>

#include <caf/send.hpp>
#include <fmt/format.h>

#include "kvmem/client.hpp"
#include "kvmem/remote.hpp"

using kvmem::errc;

namespace {

kvmem::key tls_key(std::string_view s) { return kvmem::key::v(s); }

// A CA and certificates signed by it, in a temporary directory.
struct pki {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              fmt::format("kvmem-tls-{}", ::getpid());
  pki() {
    std::filesystem::create_directories(dir);
    make_ca("ca");
    make_ca("other_ca");
    for (auto n : {"server", "client"})
      make_cert(n, "ca");
    make_cert("stranger", "other_ca");
  }
  ~pki() { std::filesystem::remove_all(dir); }
  std::string path(const std::string& f) const { return (dir / f).string(); }
  kvmem::tls_options tls(const std::string& who, const std::string& ca = "ca") const {
    return {path(who + ".pem"), path(who + ".key"), path(ca + ".pem"), {}};
  }

private:
  void run(const std::string& cmd) const {
    REQUIRE(std::system(("(" + cmd + ") >/dev/null 2>&1").c_str()) == 0);
  }
  void make_ca(const std::string& n) const {
    run(fmt::format("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN={0} "
                    "-keyout {1}.key -out {1}.pem",
                    n, path(n)));
  }
  void make_cert(const std::string& n, const std::string& ca) const {
    run(fmt::format("openssl req -newkey rsa:2048 -nodes -subj /CN={0} -keyout {1}.key "
                    "-out {1}.csr && openssl x509 -req -days 2 -in {1}.csr -CA {2}.pem "
                    "-CAkey {2}.key -CAcreateserial -out {1}.pem",
                    n, path(n), path(ca)));
  }
};

struct tls_node {
  explicit tls_node(const kvmem::tls_options& tls) {
    kvmem::enable_remote(cfg, tls).value();
    sys.emplace(cfg);
  }
  caf::actor_system_config cfg;
  std::optional<caf::actor_system> sys;
};

} // namespace

TEST_CASE("a store served over mutual TLS talks to certified peers only") {
  pki certs;
  tls_node server{certs.tls("server")};
  auto st = kvmem::spawn_store(*server.sys, kvmem::system_clock{}, {.detached = false});
  // With TLS, a non-loopback address needs no insecure flag.
  // Without the opt-in, TLS is refused: it has no guard (docs/remote.md).
  auto refused = kvmem::publish(*server.sys, st, 0, {.bind = "0.0.0.0"});
  REQUIRE(!refused);
  CHECK(refused.error().code == kvmem::errc::invalid_argument);
  CHECK_THAT(refused.error().detail, Catch::Contains("allow_unguarded_tls"));
  auto port =
      kvmem::publish(*server.sys, st, 0, {.bind = "0.0.0.0", .allow_unguarded_tls = true}).value();

  {
    tls_node client{certs.tls("client")};
    auto remote = kvmem::remote_store(*client.sys, "127.0.0.1", port);
    REQUIRE(remote);
    kvmem::client c{*client.sys, *remote};
    REQUIRE(c.set(tls_key("/secret"), "s3cr3t"));
    CHECK(c.get(tls_key("/secret")).value() == "s3cr3t");
    CHECK(c.batch([](kvmem::batch_view& v) { return v.get(tls_key("/secret")).value().str(); }).value() ==
          "s3cr3t");
  }
  {
    tls_node plain{{}}; // TLS off
    auto r = kvmem::remote_store(*plain.sys, "127.0.0.1", port);
    CHECK(r.error().code == errc::unavailable);
  }
  {
    tls_node stranger{certs.tls("stranger", "other_ca")}; // certificate from another CA
    auto r = kvmem::remote_store(*stranger.sys, "127.0.0.1", port);
    CHECK(r.error().code == errc::unavailable);
  }
  kvmem::unpublish(*server.sys, st, port);
  caf::anon_send_exit(st.actor(), caf::exit_reason::user_shutdown);
}

TEST_CASE("incomplete or unreadable TLS settings are refused up front") {
  caf::actor_system_config cfg;
  auto r = kvmem::enable_remote(cfg, {.certificate = "/nonexistent.pem"});
  CHECK(r.error().code == errc::invalid_argument);
  caf::actor_system_config cfg2;
  auto r2 = kvmem::enable_remote(cfg2, {"/nonexistent.pem", "/nonexistent.key", "/nonexistent.ca", {}});
  CHECK(r2.error().code == errc::invalid_argument);
  CHECK_THAT(r2.error().message(), Catch::Contains("cannot read"));
}
