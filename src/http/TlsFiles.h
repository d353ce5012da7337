// The server's TLS certificate and private key, loaded from PEM files ([server]
// tls_certificate, tls_private_key) at start and again on SIGHUP (a Let's Encrypt renewal
// replaces the files in place). Each file is checked on its own so that an error names the file
// at fault and why: unreadable, not PEM, or a key that does not belong to the certificate (a
// renewal caught between writing the certificate and the key).
#pragma once

#include <gio/gio.h>

#include <string>

#include "core/GstPtr.h"
#include "core/Result.h"

namespace mixmeet::http {

/// The certificate (with its chain) of `certificateFile` and the key of `privateKeyFile`, as
/// one GTlsCertificate for g_tls_server_connection_new(). Error "tls": GLib has no TLS backend
/// (glib-networking), a file cannot be read or parsed, or the key is not the certificate's;
/// the message names the file and the reason.
core::Result<core::GPtr<GTlsCertificate>> loadTlsCertificate(const std::string& certificateFile,
                                                             const std::string& privateKeyFile);

/// SHA-256 of the certificate's DER encoding, as 64 lowercase hex digits (for the log: which
/// certificate is served now). Empty if it has no DER form.
std::string tlsFingerprint(GTlsCertificate* certificate);

}  // namespace mixmeet::http
