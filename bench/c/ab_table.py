"""Table of an interleaved A/B run of bench/c/ab.sh (A = old, B = new)."""
import collections
import glob
import statistics as st
import sys

d = sys.argv[1]
data = collections.defaultdict(lambda: collections.defaultdict(list))
for f in glob.glob(d + '/[AB].*.txt'):
    w = f.split('/')[-1][0]
    for line in open(f):
        p = line.split()
        if len(p) >= 6 and p[0] == 'avx2':
            try:
                n, med, best = int(p[2]), float(p[4]), float(p[5])
            except ValueError:
                continue
            data[(p[1], n)][w].append((med, best))
print('| kernel | n | old median | new median | Δ median | old best | new best | Δ best | rounds |')
print('|---|---:|---:|---:|---:|---:|---:|---:|---:|')
for (k, n), v in sorted(data.items()):
    if 'A' not in v or 'B' not in v:
        continue
    am = st.median(x[0] for x in v['A'])
    bm = st.median(x[0] for x in v['B'])
    ab = max(x[1] for x in v['A'])
    bb = max(x[1] for x in v['B'])
    print(f'| {k} | {n} | {am:.3f} | {bm:.3f} | {100 * (bm / am - 1):+.0f}% | '
          f'{ab:.3f} | {bb:.3f} | {100 * (bb / ab - 1):+.0f}% | {len(v["A"])} |')
