package vrrp

// PassKey returns the VRRPv2 simple-password authentication data for the
// configured auth_pass s: its first 8 bytes, zero-padded. keepalived
// truncates longer passwords the same way, so the seed's
// "1cee4b6e-2cdc-48bf-83b2-01a96d1593e4" becomes "1cee4b6e".
func PassKey(s string) [8]byte {
	var k [8]byte
	copy(k[:], s)
	return k
}

// CheckAuth reports whether p passes the authentication an instance is
// configured with: authType AuthNone or AuthPass and, for AuthPass, the key
// from PassKey. The packet's type must match the configured one (RFC 3768
// section 7.1, RFC 2338 section 5.3.6). VRRPv3 has no authentication
// (RFC 5798 section 9), so a version 3 packet always passes.
func (p *Packet) CheckAuth(authType uint8, pass [8]byte) bool {
	if p.Version != 2 {
		return true
	}
	if p.AuthType != authType {
		return false
	}
	if authType == AuthPass {
		return p.AuthData == pass
	}
	return true
}
