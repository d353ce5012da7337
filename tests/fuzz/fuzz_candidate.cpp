// ICE candidates from `ice` messages (protocol/Candidate).
#include "FuzzInput.h"
#include "protocol/Candidate.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    auto parsed = mixmeet::protocol::parseCandidate(mixmeet::fuzz::text(data, size));
    if (parsed && (parsed.value().port < 1 || parsed.value().port > 65535)) __builtin_trap();
    return 0;
}
