package stats

import (
	"strconv"
	"time"
)

// age writes a duration the way HAProxy's page does, coarse and short:
// "42s", "5m07s", "3h12m", "2d04h".
func age(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int64(d / time.Second)
	switch {
	case s < 60:
		return strconv.FormatInt(s, 10) + "s"
	case s < 3600:
		return strconv.FormatInt(s/60, 10) + "m" + pad2(s%60) + "s"
	case s < 86400:
		return strconv.FormatInt(s/3600, 10) + "h" + pad2(s/60%60) + "m"
	default:
		return strconv.FormatInt(s/86400, 10) + "d" + pad2(s/3600%24) + "h"
	}
}

func pad2(n int64) string {
	if n < 10 {
		return "0" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}

// uptime writes HAProxy's `show info` uptime form, "3d 4h05m09s".
func uptime(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int64(d / time.Second)
	return strconv.FormatInt(s/86400, 10) + "d " + strconv.FormatInt(s/3600%24, 10) + "h" +
		pad2(s/60%60) + "m" + pad2(s%60) + "s"
}

// grouped writes n with a narrow space between groups of three digits,
// so that large byte counts read at a glance.
func grouped(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := false
	if n < 0 {
		neg, s = true, s[1:]
	}
	var b []byte
	for i, c := range []byte(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, "\u202f"...)
		}
		b = append(b, c)
	}
	if neg {
		return "-" + string(b)
	}
	return string(b)
}

// checkSummary is a check's last result in a few characters, "L4OK in
// 1ms", "L7STS/503 in 3ms", "L4CON in 0ms"; "" before the first result.
func checkSummary(ck *Check) string {
	if ck == nil || ck.Status == "" {
		return ""
	}
	s := ck.Status
	if ck.Code > 0 {
		s += "/" + strconv.Itoa(ck.Code)
	}
	switch ck.Status {
	case "UNK", "INI":
		return s
	}
	return s + " in " + strconv.FormatInt(ck.Duration.Milliseconds(), 10) + "ms"
}

// checkDetail joins a check's description and what the probe saw.
func checkDetail(ck *Check) string {
	if ck == nil {
		return ""
	}
	switch {
	case ck.Desc == "":
		return ck.Detail
	case ck.Detail == "":
		return ck.Desc
	}
	return ck.Desc + ": " + ck.Detail
}

// signed writes a priority delta with its sign, "+10", "-20", "+0".
func signed(n int) string {
	if n < 0 {
		return strconv.Itoa(n)
	}
	return "+" + strconv.Itoa(n)
}

// bytesText writes a byte count with three significant digits and a
// decimal unit, "9.81 GB", "702 GB", "512 B": the page's columns stay
// narrow, the exact count is in the cell's title.
func bytesText(n int64) string {
	const units = "kMGTPE"
	if n < 1000 {
		return strconv.FormatInt(n, 10) + " B"
	}
	v := float64(n)
	u := -1
	for v >= 999.5 && u < len(units)-1 {
		v /= 1000
		u++
	}
	prec := 2
	switch {
	case v >= 99.95:
		prec = 0
	case v >= 9.995:
		prec = 1
	}
	return strconv.FormatFloat(v, 'f', prec, 64) + " " + units[u:u+1] + "B"
}
