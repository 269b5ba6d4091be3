#!/usr/bin/env python3
"""Discrete-event model of bench/llm.sh (issue 16): which balancing policy could meet the TTFT target?

Same workload as llm.sh's defaults: four instances with SLOTS generation slots behind a FIFO queue each,
one at half the token rate; prompts at a fixed rate of LOAD x capacity; prompt bytes ~ logN(6.9, 1.0)
(prefill 20 us/byte), output tokens ~ logN(4.6, 0.8), clamped as the load generator clamps them.
TTFT = queue wait + prefill. No network, no noise: only the policy decides. Usage:
    python3 bench/sim/llm_policies.py [--seconds 600] [--seeds 10] [--balancers 1]
Policies (each balancer sees only its own open connections; reports are `interval` seconds stale):
  lc        least connections
  agent     HAProxy leastconn + agent weight 100*slots/(slots+waiting) (llm.sh's agent), active/weight
  ll        least_load as built: own active + reported waiting (weight 1)
  speed     join the shortest expected wait: a free slot if any (fastest first), else
            (active - slots + 1) x mean service time / slots (knows slots and each instance's speed)
  central   the balancer queues and hands each request to the first slot that frees (HAProxy maxconn+queue)
  oracle    knows every running and queued request's exact remaining time: the best any per-arrival choice can do
"""
import argparse, heapq, math, random

RATES = (50, 50, 50, 25)
SLOTS = 4
PREFILL = 20e-6


def draw(rnd):
    pb = min(256 * 1024, math.exp(rnd.gauss(6.9, 1.0)))
    tok = min(8192, max(1, int(round(math.exp(rnd.gauss(4.6, 0.8))))))
    return pb * PREFILL, tok


def capacity(rate):
    return SLOTS / (math.exp(6.9 + 0.5) * PREFILL + (math.exp(4.6 + 0.32) - 1) / rate)


def simulate(policy, seed, seconds, load, balancers, interval, warmup=10.0):
    rnd = random.Random(seed)
    n = len(RATES)
    rate = load * sum(capacity(r) for r in RATES)
    mean_service = [math.exp(6.9 + 0.5) * PREFILL + (math.exp(4.6 + 0.32) - 1) / r for r in RATES]
    running = [[] for _ in range(n)]          # end times
    queue = [[] for _ in range(n)]            # (arrival, prefill, service, balancer)
    own = [[0] * n for _ in range(balancers)]  # each balancer's open connections per instance
    central_q = []
    report = [(0, 0)] * n
    next_report = 0.0
    events, ttft = [], []

    def start(i, t, item):
        arrival, prefill, service, b = item
        ttft.append((arrival, t - arrival + prefill))
        heapq.heappush(running[i], t + service)
        heapq.heappush(events, (t + service, i, b))

    arrivals = int(seconds * rate)
    a = 0
    while a < arrivals or events:
        ta = a / rate if a < arrivals else math.inf
        if events and events[0][0] <= ta:
            t, i, b = heapq.heappop(events)
            heapq.heappop(running[i])
            own[b][i] -= 1
            if policy == "central" and central_q:
                item = central_q.pop(0)
                own[item[3]][i] += 1
                prefill, tok = item[1], item[2]
                start(i, t, (item[0], prefill, prefill + (tok - 1) / RATES[i], item[3]))
            elif queue[i]:
                start(i, t, queue[i].pop(0))
            continue
        t, b = ta, a % balancers
        a += 1
        while next_report <= t:
            report = [(len(running[i]), len(queue[i])) for i in range(n)]
            next_report += interval
        prefill, tok = draw(rnd)
        order = list(range(n))
        rnd.shuffle(order)
        act = own[b]
        if policy == "central":
            free = [i for i in order if len(running[i]) < SLOTS]
            if not free:
                central_q.append((t, prefill, tok, b))
                continue
            i = min(free, key=lambda i: (len(running[i]), -RATES[i]))
        elif policy == "lc":
            i = min(order, key=lambda i: act[i])
        elif policy == "agent":
            i = min(order, key=lambda i: act[i] / max(1.0, 100 * SLOTS / (SLOTS + report[i][1])))
        elif policy == "ll":
            i = min(order, key=lambda i: act[i] + report[i][1])
        elif policy == "speed":
            free = [i for i in order if act[i] < SLOTS]
            i = (min(free, key=lambda i: (act[i], mean_service[i])) if free
                 else min(order, key=lambda i: (act[i] - SLOTS + 1) * mean_service[i] / SLOTS))
        elif policy == "oracle":
            def wait(i):
                if len(running[i]) < SLOTS:
                    return 0.0
                ends = list(running[i])
                heapq.heapify(ends)
                for q in queue[i]:
                    heapq.heappush(ends, heapq.heappop(ends) + q[2])
                return ends[0] - t
            i = min(order, key=wait)
        else:
            raise SystemExit(f"unknown policy {policy}")
        own[b][i] += 1
        item = (t, prefill, prefill + (tok - 1) / RATES[i], b)
        if len(running[i]) < SLOTS:
            start(i, t, item)
        else:
            queue[i].append(item)
    xs = sorted(v for arrival, v in ttft if arrival >= warmup)
    return xs[int(0.99 * len(xs))] * 1000, xs[len(xs) // 2] * 1000


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seconds", type=float, default=600)
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--balancers", type=int, default=1)
    p.add_argument("--load", type=float, default=0.8)
    p.add_argument("--interval", type=float, default=1.0)
    p.add_argument("--policies", default="lc,agent,ll,speed,central,oracle")
    args = p.parse_args()
    base = None
    print(f"| policy | TTFT p99, ms (mean of {args.seeds} seeds x {args.seconds:.0f} s) | min-max | x lc |")
    print("|---|---:|---|---:|")
    for policy in args.policies.split(","):
        p99s = [simulate(policy, s, args.seconds, args.load, args.balancers, args.interval)[0] for s in range(1, args.seeds + 1)]
        mean = sum(p99s) / len(p99s)
        base = base or mean
        print(f"| {policy} | {mean:.0f} | {min(p99s):.0f}-{max(p99s):.0f} | {mean / base:.2f} |")


if __name__ == "__main__":
    main()
