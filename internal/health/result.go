package health

import (
	"fmt"
	"time"
)

// Code is a check status as HAProxy's stats report it in the check_status
// column (configuration.txt / management.txt, "check_status").
type Code string

const (
	CodeUnknown   Code = "UNK"     // no check has run yet
	CodeSockErr   Code = "SOCKERR" // the check could not start: no address, no port, bad rule
	CodeL4OK      Code = "L4OK"    // layer 4 passed, nothing more tested
	CodeL4Timeout Code = "L4TOUT"  // TCP connect timed out
	CodeL4Con     Code = "L4CON"   // TCP connect failed (refused, unreachable, ...)
	CodeL6OK      Code = "L6OK"    // TLS handshake passed, nothing more tested
	CodeL6Timeout Code = "L6TOUT"  // TLS handshake timed out
	CodeL6Rsp     Code = "L6RSP"   // TLS handshake failed
	CodeL7OK      Code = "L7OK"    // the application answered as expected
	CodeL7Timeout Code = "L7TOUT"  // the application did not answer in time
	CodeL7Rsp     Code = "L7RSP"   // the application answered something unexpected
	CodeL7Status  Code = "L7STS"   // HTTP status not the one expected
)

// description is HAProxy's wording for each code, as it appears in its
// "Server b/s is DOWN, reason: ..." log lines.
var description = map[Code]string{
	CodeUnknown:   "Unknown",
	CodeSockErr:   "Socket error",
	CodeL4OK:      "Layer4 check passed",
	CodeL4Timeout: "Layer4 timeout",
	CodeL4Con:     "Layer4 connection problem",
	CodeL6OK:      "Layer6 check passed",
	CodeL6Timeout: "Layer6 timeout",
	CodeL6Rsp:     "Layer6 invalid response",
	CodeL7OK:      "Layer7 check passed",
	CodeL7Timeout: "Layer7 timeout",
	CodeL7Rsp:     "Layer7 invalid response",
	CodeL7Status:  "Layer7 wrong status",
}

// String returns HAProxy's description of the code, e.g. "Layer4 timeout".
func (c Code) String() string {
	if d, ok := description[c]; ok {
		return d
	}
	return string(c)
}

// Result is what one probe found.
type Result struct {
	OK bool
	// Code is the HAProxy check status (L4OK, L4CON, L7STS, ...).
	Code Code
	// Reason is HAProxy's wording plus detail, e.g. "Layer4 connection
	// problem: connection refused", "Layer7 wrong status: 503 Service
	// Unavailable", "Layer6 timeout".
	Reason string
	// Duration is how long the probe took, name resolution included.
	Duration time.Duration
	// Local says the probe failed for want of resources on this host
	// (file descriptors, memory), not because of the server: the Checker
	// records it and leaves the server's state as it was.
	Local bool
}

// result builds a Result whose Reason is the code's wording followed by
// detail when there is any.
func result(code Code, ok bool, format string, args ...any) Result {
	r := Result{OK: ok, Code: code, Reason: code.String()}
	if detail := fmt.Sprintf(format, args...); detail != "" {
		r.Reason += ": " + detail
	}
	return r
}

func pass(code Code, format string, args ...any) Result { return result(code, true, format, args...) }
func fail(code Code, format string, args ...any) Result { return result(code, false, format, args...) }
