package stats

// A column is one field of `show stat`: its name in the CSV header and
// what `show stat typed` prints for it, the value type and the three tag
// letters (origin, nature, scope) on each row type. The tags differ per row
// type for a few fields (a backend's rate is a gauge, a frontend's a rate);
// an empty tag means halo never fills the field on that row type.
//
// The list, its order, its types and tags are those Debian's HAProxy
// 2.6.12 prints (testdata/haproxy/), so that scripts written against
// HAProxy's output read halo's unchanged.
type column struct {
	name string
	typ  string // u32, u64, s32 or str
	tags tags
}

// tags holds a column's tag letters for frontend, backend and server rows,
// indexed by the row type code.
type tags [3]string

// Row types, as the `type` field numbers them.
const (
	typeFrontend = 0
	typeBackend  = 1
	typeServer   = 2
)

// on returns tag for each row type whose letter (F, B, S) is in where.
func on(tag, where string) tags {
	var t tags
	for _, c := range where {
		switch c {
		case 'F':
			t[typeFrontend] = tag
		case 'B':
			t[typeBackend] = tag
		case 'S':
			t[typeServer] = tag
		}
	}
	return t
}

// separator is the pseudo-column HAProxy 2.6 puts between the generic
// fields and those of its statistics modules (SSL, HTTP/2, HTTP/1). It is
// in the CSV header and in every line, but it is no field: `show stat
// typed` skips it and numbers the module fields on from 103.
const separator = "-"

var columns = []column{
	{name: "pxname", typ: "str", tags: on("KNS", "FBS")},
	{name: "svname", typ: "str", tags: on("KNS", "FBS")},
	{name: "qcur", typ: "u32", tags: on("MGP", "BS")},
	{name: "qmax", typ: "u32", tags: on("MMP", "BS")},
	{name: "scur", typ: "u32", tags: on("MGP", "FBS")},
	{name: "smax", typ: "u32", tags: on("MMP", "FBS")},
	{name: "slim", typ: "u32", tags: on("CLP", "FBS")},
	{name: "stot", typ: "u64", tags: on("MCP", "FBS")},
	{name: "bin", typ: "u64", tags: on("MCP", "FBS")},
	{name: "bout", typ: "u64", tags: on("MCP", "FBS")},
	{name: "dreq", typ: "u64", tags: on("MCP", "FB")},
	{name: "dresp", typ: "u64", tags: on("MCP", "FBS")},
	{name: "ereq", typ: "u64", tags: on("MCP", "F")},
	{name: "econ", typ: "u64", tags: on("MCP", "BS")},
	{name: "eresp", typ: "u64", tags: on("MCP", "BS")},
	{name: "wretr", typ: "u64", tags: on("MCP", "BS")},
	{name: "wredis", typ: "u64", tags: on("MCP", "BS")},
	{name: "status", typ: "str", tags: on("SGP", "FBS")},
	{name: "weight", typ: "u32", tags: on("MaP", "BS")},
	{name: "act", typ: "u32", tags: tags{"", "MGP", "SGP"}},
	{name: "bck", typ: "u32", tags: tags{"", "MGP", "SGP"}},
	{name: "chkfail", typ: "u64", tags: on("MCP", "S")},
	{name: "chkdown", typ: "u64", tags: on("MCP", "BS")},
	{name: "lastchg", typ: "u32", tags: on("MAP", "BS")},
	{name: "downtime", typ: "u32", tags: on("MCP", "BS")},
	{name: "qlimit", typ: "u32", tags: on("CGS", "S")},
	{name: "pid", typ: "u32", tags: on("KGP", "FBS")},
	{name: "iid", typ: "u32", tags: on("KGS", "FBS")},
	{name: "sid", typ: "u32", tags: on("KGS", "FBS")},
	{name: "throttle", typ: "u32", tags: on("MaP", "S")},
	{name: "lbtot", typ: "u64", tags: on("MCP", "BS")},
	{name: "tracked"},
	{name: "type", typ: "u32", tags: on("CGS", "FBS")},
	{name: "rate", typ: "u32", tags: tags{"MRP", "MGP", "MRP"}},
	{name: "rate_lim", typ: "u32", tags: on("CLP", "F")},
	{name: "rate_max", typ: "u32", tags: tags{"MMP", "MGP", "MMP"}},
	{name: "check_status", typ: "str", tags: on("MOP", "S")},
	{name: "check_code", typ: "u32", tags: on("MOP", "S")},
	{name: "check_duration", typ: "u64", tags: on("MDP", "S")},
	{name: "hrsp_1xx", typ: "u64", tags: on("MCP", "FB")},
	{name: "hrsp_2xx", typ: "u64", tags: on("MCP", "FB")},
	{name: "hrsp_3xx", typ: "u64", tags: on("MCP", "FB")},
	{name: "hrsp_4xx", typ: "u64", tags: on("MCP", "FB")},
	{name: "hrsp_5xx", typ: "u64", tags: on("MCP", "FB")},
	{name: "hrsp_other", typ: "u64", tags: on("MCP", "FB")},
	{name: "hanafail"},
	{name: "req_rate", typ: "u32", tags: on("MRP", "F")},
	{name: "req_rate_max", typ: "u32", tags: on("MMP", "F")},
	{name: "req_tot", typ: "u64", tags: on("MCP", "FB")},
	{name: "cli_abrt", typ: "u64", tags: on("MCP", "BS")},
	{name: "srv_abrt", typ: "u64", tags: on("MCP", "BS")},
	{name: "comp_in", typ: "u64", tags: on("MCP", "FB")},
	{name: "comp_out", typ: "u64", tags: on("MCP", "FB")},
	{name: "comp_byp", typ: "u64", tags: on("MCP", "FB")},
	{name: "comp_rsp", typ: "u64", tags: on("MCP", "FB")},
	{name: "lastsess", typ: "s32", tags: on("MAP", "BS")},
	{name: "last_chk", typ: "str", tags: on("MOP", "S")},
	{name: "last_agt"},
	{name: "qtime", typ: "u32", tags: on("MaP", "BS")},
	{name: "ctime", typ: "u32", tags: on("MaP", "BS")},
	{name: "rtime", typ: "u32", tags: on("MaP", "BS")},
	{name: "ttime", typ: "u32", tags: on("MaP", "BS")},
	{name: "agent_status"},
	{name: "agent_code"},
	{name: "agent_duration"},
	{name: "check_desc", typ: "str", tags: on("MOP", "S")},
	{name: "agent_desc"},
	{name: "check_rise", typ: "u32", tags: on("CGS", "S")},
	{name: "check_fall", typ: "u32", tags: on("CGS", "S")},
	{name: "check_health", typ: "u32", tags: on("CGS", "S")},
	{name: "agent_rise"},
	{name: "agent_fall"},
	{name: "agent_health"},
	{name: "addr", typ: "str", tags: on("CGS", "S")},
	{name: "cookie"},
	{name: "mode", typ: "str", tags: on("CGS", "FBS")},
	{name: "algo", typ: "str", tags: on("CGS", "B")},
	{name: "conn_rate", typ: "u32", tags: on("MRP", "F")},
	{name: "conn_rate_max", typ: "u32", tags: on("MMP", "F")},
	{name: "conn_tot", typ: "u64", tags: on("MCP", "F")},
	{name: "intercepted", typ: "u64", tags: on("MCP", "F")},
	{name: "dcon", typ: "u64", tags: on("MCP", "F")},
	{name: "dses", typ: "u64", tags: on("MCP", "F")},
	{name: "wrew", typ: "u64", tags: on("MCP", "FBS")},
	{name: "connect", typ: "u64", tags: on("MCP", "BS")},
	{name: "reuse", typ: "u64", tags: on("MCP", "BS")},
	{name: "cache_lookups", typ: "u64", tags: on("MCP", "FB")},
	{name: "cache_hits", typ: "u64", tags: on("MCP", "FB")},
	{name: "srv_icur", typ: "u32", tags: on("MGP", "S")},
	{name: "src_ilim"},
	{name: "qtime_max", typ: "u32", tags: on("MMP", "BS")},
	{name: "ctime_max", typ: "u32", tags: on("MMP", "BS")},
	{name: "rtime_max", typ: "u32", tags: on("MMP", "BS")},
	{name: "ttime_max", typ: "u32", tags: on("MMP", "BS")},
	{name: "eint", typ: "u64", tags: on("MCP", "FBS")},
	{name: "idle_conn_cur", typ: "u32", tags: on("MGP", "S")},
	{name: "safe_conn_cur", typ: "u32", tags: on("MGP", "S")},
	{name: "used_conn_cur", typ: "u32", tags: on("MGP", "S")},
	{name: "need_conn_est", typ: "u32", tags: on("MGP", "S")},
	{name: "uweight", typ: "u32", tags: on("MaP", "BS")},
	{name: "agg_server_status", typ: "u32", tags: on("MGP", "B")},
	{name: "agg_server_check_status", typ: "u32", tags: on("MGP", "B")},
	{name: "agg_check_status", typ: "u32", tags: on("MGP", "B")},
	{name: separator},
	{name: "ssl_sess", typ: "u64", tags: on("MCP", "FBS")},
	{name: "ssl_reused_sess", typ: "u64", tags: on("MCP", "FBS")},
	{name: "ssl_failed_handshake", typ: "u64", tags: on("MCP", "FBS")},
	{name: "h2_headers_rcvd", typ: "u64", tags: on("MCP", "FB")},
	{name: "h2_data_rcvd", typ: "u64", tags: on("MCP", "FB")},
	{name: "h2_settings_rcvd", typ: "u64", tags: on("MCP", "FB")},
	{name: "h2_rst_stream_rcvd", typ: "u64", tags: on("MCP", "FB")},
	{name: "h2_goaway_rcvd", typ: "u64", tags: on("MCP", "FB")},
	{name: "h2_detected_conn_protocol_errors", typ: "u64", tags: on("MCP", "FB")},
	{name: "h2_detected_strm_protocol_errors", typ: "u64", tags: on("MCP", "FB")},
	{name: "h2_rst_stream_resp", typ: "u64", tags: on("MCP", "FB")},
	{name: "h2_goaway_resp", typ: "u64", tags: on("MCP", "FB")},
	{name: "h2_open_connections", typ: "u64", tags: on("MGP", "FB")},
	{name: "h2_backend_open_streams", typ: "u64", tags: on("MGP", "FB")},
	{name: "h2_total_connections", typ: "u64", tags: on("MCP", "FB")},
	{name: "h2_backend_total_streams", typ: "u64", tags: on("MCP", "FB")},
	{name: "h1_open_connections", typ: "u64", tags: on("MGP", "FB")},
	{name: "h1_open_streams", typ: "u64", tags: on("MGP", "FB")},
	{name: "h1_total_connections", typ: "u64", tags: on("MCP", "FB")},
	{name: "h1_total_streams", typ: "u64", tags: on("MCP", "FB")},
	{name: "h1_bytes_in", typ: "u64", tags: on("MCP", "FB")},
	{name: "h1_bytes_out", typ: "u64", tags: on("MCP", "FB")},
	{name: "h1_spliced_bytes_in", typ: "u64", tags: on("MCP", "FB")},
	{name: "h1_spliced_bytes_out", typ: "u64", tags: on("MCP", "FB")},
}

// columnIndex maps a field name to its index in columns.
var columnIndex = func() map[string]int {
	m := make(map[string]int, len(columns))
	for i, c := range columns {
		m[c.name] = i
	}
	return m
}()

// sepIndex is the index of the separator in columns.
var sepIndex = columnIndex[separator]

// typedPos is the position `show stat typed` gives the column at index i.
func typedPos(i int) int {
	if i > sepIndex {
		return i - 1
	}
	return i
}
