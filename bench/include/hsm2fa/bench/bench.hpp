// `hsm2fa bench`: measures a running hsm2fad against the token's own ceiling (issue 6). It reads
// the daemon's config (socket, token, custody, worker threads), measures the ceiling through the
// hsm/ layer, enrolls users over the API, drives verify at rising concurrency and at half the
// best rate, prints one JSON object and writes it with a plot under the results directory.
// Meant for a throw-away deployment (scripts/bench.sh): it enrolls users and writes codes.
#pragma once

namespace hsm2fa::bench {

// argv[0] is "bench"; the rest are the bench's options (see `hsm2fa bench --help`).
// Exit codes as the CLI's: 0 ok, 1 something answered wrongly, 2 usage/config, 3 unreachable.
int bench_main(int argc, char** argv);

}  // namespace hsm2fa::bench
