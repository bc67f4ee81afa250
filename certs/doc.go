// Package certs signs and verifies dataledger's documents with the Chinese
// national algorithms: SM3 digests (GB/T 32905, GM/T 0004), SM2 signatures
// (GB/T 32918, GM/T 0003) with the default user ID 1234567812345678 and
// DER-encoded (r, s) as in GM/T 0009, over the RFC 8785 (JCS) canonical form
// of a JSON document.
//
// Keys are PKCS#8 / SubjectPublicKeyInfo PEM in the encoding OpenSSL 3 uses
// for SM2 (id-ecPublicKey with the curve OID 1.2.156.10197.1.301). A key's ID
// is the lowercase hex SM3 digest of its SubjectPublicKeyInfo DER.
//
// Verification needs nothing but the document and the issuer's public key;
// nothing in this package touches the network. Every call into the SM2/SM3
// library sits in sm.go.
package certs
