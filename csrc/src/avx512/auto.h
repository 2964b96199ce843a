#ifndef FSM_AVX512_AUTO_H
#define FSM_AVX512_AUTO_H

/* AUTO's rules of the avx512 table and of its avx512_bf16 level (their
 * table.c include this).
 *
 * Softmax: AUTO crossover, measured natively on an AMD EPYC Zen 4 (family 25 model
 * 17, 32 MiB L3; 2026-12-06; bench/results/xnnpack-zen4.md, one thread,
 * elements/ns, three runs): in cache the three-pass reload leads (64K:
 * reload 3.78-3.83, online 2.45-2.52, two-pass 2.00-2.03; 1M: 3.38-3.55 vs
 * 2.40-2.48 vs 1.96-2.01). Out of cache the 12-byte algorithms win: 16M
 * two-pass 1.35-1.61, online 1.28-1.62, reload 1.07-1.40; 64M 1.60 / 1.50 /
 * 1.40; a cold 1M row 1.77-1.94 / 1.75-2.02 / 1.58-2.06. So AUTO takes the
 * two-pass from 4M floats (x + y beyond the 32 MiB LLC) for softmax.
 * Log-softmax's two-pass needs no second exp (its last pass is vsubc), and
 * since its raddextexp rescales once per block (e3e7875) it leads from 4K
 * floats, in cache too (python -m fastsoftmax bench --quick, one thread,
 * bench/results/quick-zen4.txt; two-pass vs three-pass elements/ns): 1K
 * 0.62 vs 0.62, 4K 2.36 vs 2.24, 16K 3.35 vs 2.97, 64K 3.08 vs 2.65, 256K
 * 3.24 vs 2.70, 1M 3.14 vs 2.44, cold 4M 1.96 vs 1.61, attention
 * 1024x1024 3.48 vs 3.24, vocabulary 32x128256 2.26 vs 1.69. Since
 * raddextexp's 16 lanes merge in the vector unit (fsm_avx512_extsum_total)
 * it leads from 1K floats: Zen 5 (family 26 model 2), one thread, rows of
 * 512 / 1K / 2K / 4K, elements/ns, two-pass vs three-pass: 5.30 vs 5.13,
 * 6.13 vs 5.37, 6.71 vs 5.79, 6.97 vs 5.87; bfloat16 1K 5.80 vs 5.58,
 * float16 1K 5.99 vs 5.57. */
#define FSM_TABLE_SOFTMAX_AUTO {(size_t)1 << 22, FSM_ALGORITHM_TWO_PASS, 0}
#define FSM_TABLE_LOG_SOFTMAX_AUTO {1024, FSM_ALGORITHM_TWO_PASS, 0}

/* AUTO: rows of up to 112 elements (7 vectors) in softmax_short. Zen 5,
 * 16384 rows, 9 interleaved runs against the reload (the rule of 64):
 * float32 rows of 80 / 96 / 112 1.18x / 1.18x / 1.10x, log-softmax of 96
 * 1.12x, bfloat16 of 96 1.09x; rows of 128 1.05x (float32), 0.98x
 * (bfloat16), 1.02x (log): not taken. */
#define FSM_TABLE_SHORT_COLS 112

#endif /* FSM_AVX512_AUTO_H */
