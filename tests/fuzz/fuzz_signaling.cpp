// Signaling parser and validator: any WebSocket text frame a client (or, for the client-side
// parser, a server) can send. Must return an error, never crash or overflow.
#include "FuzzInput.h"
#include "protocol/Messages.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    auto in = mixmeet::fuzz::text(data, size);
    auto client = mixmeet::protocol::parseClientMessage(in);
    auto server = mixmeet::protocol::parseServerMessage(in);
    // A parsed server message must serialise again.
    if (server) (void)mixmeet::protocol::toJson(server.value());
    return 0;
}
