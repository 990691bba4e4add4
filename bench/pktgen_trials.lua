-- bench/pktgen's trial script (loaded by pktgen -f; bench/pktgen writes pktgen_params.lua beside a copy of it).
-- Both pktgen ports replay their pcap at once (port 0: the office mix LAN to WAN, port 1: its replies WAN to LAN)
-- through the DUT; each trial clears the counters, sends for trial_ms at a rate (percent of memif's 100G link,
-- the same on both ports), stops, lets in-flight packets drain and prints one TRIAL line. Then: the maximum rate
-- (100 %), the partial-drop rate (binary search for the highest rate losing <= pdr_loss), the zero-loss rate
-- (the same search for no loss at all, RFC 2544), and latency at fixed rates from pktgen's latency probes and
-- its latency sampler on port 1 (LAN to WAN probes), one sample file per rate.
dofile(params_file)  -- sets P: trial_ms, pdr_steps, ndr_steps, pdr_loss, line_pps, latency_pct, latency_trial_ms,
                     -- latency_probe_ms, sample_dir, probe

local function printf(...) print(string.format(...)) end

local function main()
  pktgen.screen("off")
  pktgen.set("all", "count", 0)
  -- The probes are pktgen's single-packet template: routable through the DUT like the mix (bench/pktgen).
  for port = 0, 1 do
    local p = P.probe[port + 1]
    pktgen.set_mac(tostring(port), "dst", p.dst_mac)
    pktgen.set_ipaddr(tostring(port), "src", p.src_ip)
    pktgen.set_ipaddr(tostring(port), "dst", p.dst_ip)
    pktgen.set_proto(tostring(port), "udp")
    pktgen.set(tostring(port), "sport", p.sport)
    pktgen.set(tostring(port), "dport", p.dport)
  end

  local function trial(pct, tag, ms)
    ms = ms or P.trial_ms
    pktgen.set("all", "rate", pct)
    pktgen.clr()
    pktgen.delay(200)
    pktgen.start("all")
    pktgen.delay(ms)
    pktgen.stop("all")
    pktgen.delay(500)  -- what is still in the DUT's rings arrives
    local st = pktgen.portStats("all", "port")
    local tx = st[0].opackets + st[1].opackets
    local rx = st[0].ipackets + st[1].ipackets
    local loss = 0
    if tx > 0 then loss = (tx - rx) / tx end
    printf("TRIAL %s rate_pct=%.5f tx0=%d rx1=%d tx1=%d rx0=%d loss=%.6f ms=%d", tag, pct, st[0].opackets,
           st[1].ipackets, st[1].opackets, st[0].ipackets, loss, ms)
    return tx, loss
  end

  -- Binary search between lo (passes) and hi (fails) for the highest rate whose loss passes `ok`.
  local function search(tag, lo, hi, steps, ok)
    local best = -1
    for _ = 1, steps do
      local mid = (lo + hi) / 2
      local _, loss = trial(mid, tag)
      if ok(loss) then
        lo, best = mid, mid
      else
        hi = mid
      end
    end
    return best
  end

  local max_tx, max_loss = trial(100, "max")
  -- The generator's own ceiling per port, in percent of the link: searches start below it.
  local offered_pct = max_tx / 2 / (P.trial_ms / 1000) / P.line_pps * 100
  local pdr_ok = function(loss) return loss <= P.pdr_loss end
  local pdr = -1
  if pdr_ok(max_loss) then
    printf("RESULT pdr_at_max=1")
  else
    pdr = search("pdr", 0, offered_pct, P.pdr_steps, pdr_ok)
  end
  local ndr_hi = offered_pct
  if pdr > 0 then ndr_hi = pdr end
  if max_loss > 0 then
    search("ndr", 0, ndr_hi, P.ndr_steps, function(loss) return loss == 0 end)
  else
    printf("RESULT ndr_at_max=1")
  end

  pktgen.latency("all", "enable")
  -- One probe per latency_probe_ms (pktgen's default is 10 ms); builds whose Lua lacks the rate form keep theirs.
  local rate_ok = pcall(pktgen.latency, "all", "rate", P.latency_probe_ms)
  printf("PROBES every_ms=%s", rate_ok and tostring(P.latency_probe_ms) or "10 (default)")
  for i, pct in ipairs(P.latency_pct) do
    local file = string.format("%s/latency_%d.txt", P.sample_dir, i)
    pktgen.latsampler_params("1", "simple", 20000, 100000, file)  -- <= 50000 samples; up to 100k a second
    pktgen.latsampler("1", "start")
    trial(pct, "latency", P.latency_trial_ms)
    pktgen.latsampler("1", "stop")
    local lat = pktgen.pktStats("all")[1].latency
    printf("LATENCY rate_pct=%.5f file=%s probes=%d min_us=%.1f avg_us=%.1f max_us=%.1f", pct, file, lat.num_pkts,
           lat.min_us, lat.avg_us, lat.max_us)
  end
  pktgen.latency("all", "disable")
  printf("DONE")
end

-- A failing call must not leave pktgen at its prompt: print why, and quit either way.
local ok, err = pcall(main)
if not ok then printf("ERROR %s", tostring(err)) end
pktgen.quit()
