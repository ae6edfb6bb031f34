#pragma once

// Plain TCP sockets on 127.0.0.1 for the in-test servers.

namespace hf::testing {

// A listening socket on 127.0.0.1 at a port the kernel picks (written to *port). Throws
// std::runtime_error if it cannot listen.
int ListenOnLoopback(int* port);

// A socket connected to 127.0.0.1:port, or -1 (errno set).
int ConnectToLoopback(int port);

}  // namespace hf::testing
