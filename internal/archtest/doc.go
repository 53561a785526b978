// Package archtest holds no code: its test keeps the dependency direction
// of docs/ARCHITECTURE.md true.
package archtest
