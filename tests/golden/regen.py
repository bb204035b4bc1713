#!/usr/bin/env python3
"""Regenerates tests/golden/<case>/trace.json from events.jsonl with the built CLI.

A developer tool, not run by the tests: review every diff it makes by hand, since
the golden files are the contract's expected output. trace.json holds one
ExecutionTrace per run of events.jsonl, in order of the run's first line.
Usage: tests/golden/regen.py [build/bin/extrace] [case...]
"""
import json, os, subprocess, sys, tempfile

here = os.path.dirname(os.path.abspath(__file__))
cli = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, '../../build/bin/extrace')
cases = sys.argv[2:] or sorted(d for d in os.listdir(here) if os.path.isdir(os.path.join(here, d)))
for case in cases:
    events = os.path.join(here, case, 'events.jsonl')
    runs = []
    for line in open(events):
        if line.strip():
            run = json.loads(line)['executionId']
            if run not in runs:
                runs.append(run)
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, 'golden.db')
        subprocess.run([cli, '--db', db, 'ingest', events], check=True, capture_output=True)
        traces = [json.loads(subprocess.run([cli, '--db', db, 'show', run, '--json'], check=True,
                                            capture_output=True).stdout) for run in runs]
    with open(os.path.join(here, case, 'trace.json'), 'w') as out:
        json.dump(traces, out, indent=1)
        out.write('\n')
    print(case, len(runs), 'runs')
