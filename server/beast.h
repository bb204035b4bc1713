// Boost.Beast and Boost.Asio, included once (a precompiled header of the
// server library: they take seconds per file to compile) with the short
// names the server's I/O code uses.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace extrace::server {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
using tcp = boost::asio::ip::tcp;

}  // namespace extrace::server
