#include "http/TlsFiles.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

namespace mixmeet::http {

namespace {

using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;
using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;
using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

core::Error tlsError(const std::string& what, const std::string& file, const std::string& why) {
    return core::makeError("tls", "TLS " + what + " " + file + ": " + why);
}

/// Whether the private key in PEM `keyText` is the one of the first certificate in PEM
/// `certText` (both already parsed by GLib; OpenSSL reads them again for the comparison).
bool keyMatches(const std::string& certText, const std::string& keyText) {
    BioPtr certBio(BIO_new_mem_buf(certText.data(), static_cast<int>(certText.size())), BIO_free);
    BioPtr keyBio(BIO_new_mem_buf(keyText.data(), static_cast<int>(keyText.size())), BIO_free);
    if (!certBio || !keyBio) return false;
    X509Ptr cert(PEM_read_bio_X509(certBio.get(), nullptr, nullptr, nullptr), X509_free);
    KeyPtr key(PEM_read_bio_PrivateKey(keyBio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
    // A form OpenSSL does not read (GLib did): no verdict, GLib's word stands.
    if (!cert || !key) return true;
    return X509_check_private_key(cert.get(), key.get()) == 1;
}

}  // namespace

core::Result<core::GPtr<GTlsCertificate>> loadTlsCertificate(const std::string& certificateFile,
                                                             const std::string& privateKeyFile) {
    if (!g_tls_backend_supports_tls(g_tls_backend_get_default()))
        return core::makeError("tls", "GLib has no TLS backend (install glib-networking)");
    g_autofree gchar* certText = nullptr;
    g_autofree gchar* keyText = nullptr;
    gsize certLen = 0;
    gsize keyLen = 0;
    core::ErrorOut err;
    if (!g_file_get_contents(certificateFile.c_str(), &certText, &certLen, err.out()))
        return tlsError("certificate", certificateFile, err.message());
    // The certificate alone first: a failure here is the certificate file's.
    core::GPtr<GTlsCertificate> alone = core::GPtr<GTlsCertificate>::adopt(
        g_tls_certificate_new_from_pem(certText, static_cast<gssize>(certLen), err.out()));
    if (!alone) return tlsError("certificate", certificateFile, err.message());
    if (!g_file_get_contents(privateKeyFile.c_str(), &keyText, &keyLen, err.out()))
        return tlsError("private key", privateKeyFile, err.message());
    core::GPtr<GTlsCertificate> both =
        core::GPtr<GTlsCertificate>::adopt(g_tls_certificate_new_from_files(
            certificateFile.c_str(), privateKeyFile.c_str(), err.out()));
    if (!both) return tlsError("private key", privateKeyFile, err.message());
    if (!keyMatches(std::string(certText, certLen), std::string(keyText, keyLen)))
        return tlsError("private key", privateKeyFile,
                        "is not the key of the certificate in " + certificateFile);
    return both;
}

std::string tlsFingerprint(GTlsCertificate* certificate) {
    GByteArray* der = nullptr;
    g_object_get(certificate, "certificate", &der, nullptr);
    if (!der) return {};
    g_autofree gchar* hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256, der->data, der->len);
    g_byte_array_unref(der);
    return hex ? hex : "";
}

}  // namespace mixmeet::http
