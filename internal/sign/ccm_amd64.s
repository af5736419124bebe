#include "textflag.h"

// Fused AES-CCM block loops: the serial CBC-MAC chain (X0) and the
// counter-mode key stream (X14) go through the AES rounds side by side, so
// the CTR half runs in the latency shadow of the MAC and CCM costs about
// what CBC-MAC alone does. Round keys are memory operands loaded once per
// round into X15 and used by both chains.
//
// Registers: AX round keys, BX mac state, CX bytes left, DX counter (low
// 32 bits, native order), SI src, DI dst, R8 scratch, R9 rounds (10/14),
// X12 counter block, X13 data block.

// ROUNDS2 runs rounds 1..nr-1 and the last round on X0 and X14.
#define ROUNDS2(lbl, lbldone) \
	MOVOU 16(AX), X15; AESENC X15, X0; AESENC X15, X14; \
	MOVOU 32(AX), X15; AESENC X15, X0; AESENC X15, X14; \
	MOVOU 48(AX), X15; AESENC X15, X0; AESENC X15, X14; \
	MOVOU 64(AX), X15; AESENC X15, X0; AESENC X15, X14; \
	MOVOU 80(AX), X15; AESENC X15, X0; AESENC X15, X14; \
	MOVOU 96(AX), X15; AESENC X15, X0; AESENC X15, X14; \
	MOVOU 112(AX), X15; AESENC X15, X0; AESENC X15, X14; \
	MOVOU 128(AX), X15; AESENC X15, X0; AESENC X15, X14; \
	MOVOU 144(AX), X15; AESENC X15, X0; AESENC X15, X14; \
	CMPQ R9, $14; \
	JNE lbl; \
	MOVOU 160(AX), X15; AESENC X15, X0; AESENC X15, X14; \
	MOVOU 176(AX), X15; AESENC X15, X0; AESENC X15, X14; \
	MOVOU 192(AX), X15; AESENC X15, X0; AESENC X15, X14; \
	MOVOU 208(AX), X15; AESENC X15, X0; AESENC X15, X14; \
	MOVOU 224(AX), X15; AESENCLAST X15, X0; AESENCLAST X15, X14; \
	JMP lbldone; \
lbl: \
	MOVOU 160(AX), X15; AESENCLAST X15, X0; AESENCLAST X15, X14; \
lbldone:

// NEXTCTR advances the counter block X12 (big-endian last word).
#define NEXTCTR \
	INCL DX; \
	MOVL DX, R8; \
	BSWAPL R8; \
	PINSRD $3, R8, X12

// func ccmSealBlocks(rk *[240]byte, rounds int, mac, ctr *[16]byte, dst, src *byte, n int)
//
// For each 16-byte block P of src: mac = E(mac ^ P), dst = P ^ E(ctr),
// ctr++. n is a positive multiple of 16; dst and src may be equal. On
// return *mac is the chain and *ctr the next counter block.
TEXT ·ccmSealBlocks(SB), NOSPLIT, $0-56
	MOVQ rk+0(FP), AX
	MOVQ rounds+8(FP), R9
	MOVQ mac+16(FP), BX
	MOVQ ctr+24(FP), R10
	MOVQ dst+32(FP), DI
	MOVQ src+40(FP), SI
	MOVQ n+48(FP), CX
	MOVOU (BX), X0
	MOVOU (R10), X12
	MOVL 12(R10), DX
	BSWAPL DX

sealLoop:
	CMPQ CX, $16
	JB   sealDone
	MOVOU (SI), X13
	MOVOU X12, X14
	MOVOU 0(AX), X15
	PXOR X13, X0
	PXOR X15, X0
	PXOR X15, X14
	ROUNDS2(sealLast, sealLastDone)
	PXOR X13, X14
	MOVOU X14, (DI)
	NEXTCTR
	ADDQ $16, SI
	ADDQ $16, DI
	SUBQ $16, CX
	JMP  sealLoop

sealDone:
	MOVOU X0, (BX)
	MOVOU X12, (R10)
	RET

// func ccmOpenBlocks(rk *[240]byte, rounds int, mac, ctr *[16]byte, dst, src *byte, n int)
//
// For each 16-byte block C of src: P = C ^ E(ctr), dst = P, mac =
// E(mac ^ P), ctr++. The key stream for the next block is computed next
// to the MAC of this one (it only needs the counter), so the chain never
// waits for it. n is a positive multiple of 16; dst and src may be equal.
TEXT ·ccmOpenBlocks(SB), NOSPLIT, $0-56
	MOVQ rk+0(FP), AX
	MOVQ rounds+8(FP), R9
	MOVQ mac+16(FP), BX
	MOVQ ctr+24(FP), R10
	MOVQ dst+32(FP), DI
	MOVQ src+40(FP), SI
	MOVQ n+48(FP), CX
	MOVOU (BX), X11
	MOVOU (R10), X12
	MOVL 12(R10), DX
	BSWAPL DX
	// Key stream for the first block: X14 = E(ctr). The MAC chain lane
	// (X0) runs along on a throwaway value.
	MOVOU X12, X14
	MOVOU 0(AX), X15
	PXOR X15, X14
	PXOR X0, X0
	ROUNDS2(openFirst, openFirstDone)
	MOVOU X11, X0

openLoop:
	CMPQ CX, $16
	JB   openDone
	MOVOU (SI), X13
	PXOR X14, X13 // P
	MOVOU X13, (DI)
	NEXTCTR
	MOVOU X12, X14
	MOVOU 0(AX), X15
	PXOR X13, X0
	PXOR X15, X0
	PXOR X15, X14
	ROUNDS2(openLast, openLastDone)
	ADDQ $16, SI
	ADDQ $16, DI
	SUBQ $16, CX
	JMP  openLoop

openDone:
	MOVOU X0, (BX)
	MOVOU X12, (R10)
	RET
