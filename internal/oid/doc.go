// Package oid is qms's Git object id, the one id type its packages share:
// a SHA-1 of 20 bytes, read from and written as 40 hexadecimal digits.
package oid
