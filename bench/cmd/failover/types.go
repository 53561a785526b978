package main

import "github.com/halo-lb/halo/internal/netlab"

type netlabHost = netlab.Host
