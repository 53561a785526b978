// Command opsbench measures the operations side at scale, halo against
// Debian's haproxy on the same generated configuration (B backends × S
// servers, every server checked): the time and size of a Prometheus
// scrape of each, and the time halo takes to apply a reload while a client
// connects in a loop (counting refused or failed connections). It prints a
// table with the ratio halo ÷ haproxy. bench/ops.sh runs it.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	haloBin := flag.String("halo", "halo", "halo binary")
	backends := flag.Int("backends", 200, "backends")
	servers := flag.Int("servers", 10, "servers per backend")
	scrapes := flag.Int("scrapes", 10, "scrapes of each exporter (the median is reported)")
	reloads := flag.Int("reloads", 5, "reloads of halo (the median is reported)")
	flag.Parse()
	dir, err := os.MkdirTemp("", "halo-opsbench-")
	must(err)
	defer os.RemoveAll(dir)

	// One target for every server and check: a listener that accepts and
	// closes.
	target, err := net.Listen("tcp", "127.0.0.1:0")
	must(err)
	go func() {
		for {
			c, err := target.Accept()
			if err != nil {
				return
			}
			io.WriteString(c, "ok\n")
			c.Close()
		}
	}()
	cfg := func(front, prom int, extra string) string {
		var b strings.Builder
		fmt.Fprintf(&b, "global\n    maxconn 4000\n\ndefaults\n    mode tcp\n    timeout connect 2s\n    timeout client 30s\n    timeout server 30s\n\n")
		fmt.Fprintf(&b, "frontend prom\n    mode http\n    bind 127.0.0.1:%d\n    http-request use-service prometheus-exporter if { path /metrics }\n\n", prom)
		fmt.Fprintf(&b, "frontend main\n    bind 127.0.0.1:%d\n    default_backend b0\n\n", front)
		for i := 0; i < *backends; i++ {
			fmt.Fprintf(&b, "backend b%d\n    balance roundrobin\n", i)
			for j := 0; j < *servers; j++ {
				fmt.Fprintf(&b, "    server s%d %s check inter 2s\n", j, target.Addr())
			}
			b.WriteString(extra)
			extra = ""
		}
		return b.String()
	}
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		must(os.WriteFile(p, []byte(text), 0o644))
		return p
	}
	const haloFront, haloProm, hapFront, hapProm = 26001, 26002, 36001, 36002
	haloCfg := write("halo.cfg", cfg(haloFront, haloProm, ""))
	hapCfg := write("haproxy.cfg", cfg(hapFront, hapProm, ""))

	var haloLog syncBuf
	halo := exec.Command(*haloBin, "run", "-f", haloCfg, "--socket", filepath.Join(dir, "halo.sock"))
	halo.Stdout, halo.Stderr = &haloLog, &haloLog
	must(halo.Start())
	defer halo.Process.Kill()
	hap := exec.Command("haproxy", "-db", "-f", hapCfg)
	hap.Stdout, hap.Stderr = io.Discard, io.Discard
	must(hap.Start())
	defer hap.Process.Kill()
	if !waitHTTP(fmt.Sprintf("http://127.0.0.1:%d/metrics", haloProm)) {
		fmt.Fprintln(os.Stderr, "opsbench: halo does not serve /metrics; its log:\n"+haloLog.String())
		os.Exit(1)
	}
	if !waitHTTP(fmt.Sprintf("http://127.0.0.1:%d/metrics", hapProm)) {
		fmt.Fprintln(os.Stderr, "opsbench: haproxy does not serve /metrics")
		os.Exit(1)
	}
	time.Sleep(3 * time.Second) // every check has run once

	haloScrape, haloBytes := scrape(fmt.Sprintf("http://127.0.0.1:%d/metrics", haloProm), *scrapes)
	hapScrape, hapBytes := scrape(fmt.Sprintf("http://127.0.0.1:%d/metrics", hapProm), *scrapes)

	// Reloads under a connect loop: each adds a server to b0 or takes it
	// away again.
	var stop atomic.Bool
	var ok, failed atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() {
		for !stop.Load() {
			c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", haloFront), time.Second)
			if err != nil {
				failed.Add(1)
				continue
			}
			c.SetDeadline(time.Now().Add(time.Second))
			if _, err := bufio.NewReader(c).ReadString('\n'); err != nil {
				failed.Add(1)
			} else {
				ok.Add(1)
			}
			c.Close()
		}
	})
	took := regexp.MustCompile(`msg="reload done" changes=\d+ took=(\S+)`)
	var reloadTimes []time.Duration
	for i := 0; i < *reloads; i++ {
		extra := ""
		if i%2 == 0 {
			extra = fmt.Sprintf("    server added %s check inter 2s\n", target.Addr())
		}
		write("halo.cfg", cfg(haloFront, haloProm, extra))
		before := len(took.FindAllStringSubmatch(haloLog.String(), -1))
		must(halo.Process.Signal(syscall.SIGHUP))
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			m := took.FindAllStringSubmatch(haloLog.String(), -1)
			if len(m) > before {
				d, err := time.ParseDuration(m[len(m)-1][1])
				must(err)
				reloadTimes = append(reloadTimes, d)
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(300 * time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	if strings.Contains(haloLog.String(), "reload refused") {
		fmt.Fprintln(os.Stderr, "opsbench: a reload was refused:\n"+haloLog.String())
		os.Exit(1)
	}

	fmt.Printf("# %d backends × %d servers, all checked; %d scrapes, %d reloads\n", *backends, *servers, *scrapes, len(reloadTimes))
	fmt.Printf("%-34s %12s %12s %8s\n", "", "halo", "haproxy", "ratio")
	fmt.Printf("%-34s %10.1fms %10.1fms %8.2f\n", "scrape /metrics (median)", ms(haloScrape), ms(hapScrape), ms(haloScrape)/ms(hapScrape))
	fmt.Printf("%-34s %10.0fkB %10.0fkB %8.2f\n", "scrape size", float64(haloBytes)/1e3, float64(hapBytes)/1e3, float64(haloBytes)/float64(hapBytes))
	fmt.Printf("%-34s %10.1fms %12s\n", "reload applied (median)", ms(median(reloadTimes)), "-")
	fmt.Printf("%-34s %12d %12s\n", "connections during reloads", ok.Load(), "-")
	fmt.Printf("%-34s %12d %12s\n", "  of which refused or failed", failed.Load(), "-")
	if failed.Load() > 0 {
		os.Exit(1)
	}
}

func scrape(url string, n int) (time.Duration, int) {
	var ds []time.Duration
	size := 0
	for i := 0; i < n; i++ {
		start := time.Now()
		resp, err := http.Get(url)
		must(err)
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		must(err)
		ds = append(ds, time.Since(start))
		size = len(b)
	}
	return median(ds), size
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func waitHTTP(url string) bool {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "opsbench:", err)
		os.Exit(1)
	}
}

type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
