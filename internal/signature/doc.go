// Package signature checks the cryptography of signed Git commits: it splits
// a raw commit object into the signed payload and the signature as git does,
// and verifies OpenPGP and SSH signatures against given public keys under
// qms's policy (no SHA-1 or MD5, no DSA or ElGamal, no RSA under 2048 bits,
// key validity judged when the signature was made). Who may sign what is
// decided elsewhere; this package only answers "which key made this
// signature over these bytes, and when".
package signature
