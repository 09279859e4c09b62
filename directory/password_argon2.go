package directory

import (
	"encoding/binary"
	gohash "hash"
	"math/bits"

	"golang.org/x/crypto/blake2b"
)

// This file computes Argon2id (RFC 9106, version 0x13) on the calling
// goroutine alone. The result is the one every Argon2id implementation gives
// for the same parameters, p lanes included; only the schedule differs: the p
// lanes of each segment are filled one after the other instead of by p
// goroutines at once. Within a slice no lane reads another lane's current
// segment, so the order does not change a single block.
//
// Why: a hash with p=4 run by the usual parallel implementation takes four
// goroutines, and so every CPU of a small machine, for its whole run; the
// forward-auth checks then queue behind it in the Go scheduler (measured on
// two CPUs: p99 from about 1 ms to 20 ms with one hash at a time, to 500 ms
// with two). Here one hash is one goroutine, so a bound on the hashes in
// flight is a bound on the CPUs they take, and the caller can leave CPUs to
// the hot path whatever p the users file asks for.

const (
	argon2Version = 0x13 // the only version accepted (v=19)
	argon2Type    = 2    // Argon2id
	blockWords    = 128  // a block is 1 KiB
	syncPoints    = 4    // slices per pass
)

// argonBlock is one 1 KiB block of Argon2 memory.
type argonBlock [blockWords]uint64

// argon2Key derives keyLen bytes from password and salt with Argon2id, time
// passes over memory KiB split into lanes lanes, on the calling goroutine.
// The caller bounds the parameters (parsePHC does): time >= 1, lanes >= 1,
// memory >= 8*lanes.
func argon2Key(password, salt []byte, time, memory uint32, lanes uint8, keyLen uint32) []byte {
	p := uint32(lanes)
	h0 := initialHash(password, salt, time, memory, p, keyLen)
	blocks := max(memory/(syncPoints*p)*(syncPoints*p), 2*syncPoints*p)
	b, free := allocBlocks(blocks)
	defer free()
	m := &argonMemory{b: b, lanes: p, laneLen: blocks / p, passes: time}
	m.segLen = m.laneLen / syncPoints
	m.fillFirstBlocks(h0)
	for pass := range time {
		for slice := range uint32(syncPoints) {
			for lane := range p {
				m.fillSegment(pass, slice, lane)
			}
		}
	}
	return m.finalKey(keyLen)
}

// initialHash is H0: BLAKE2b-512 over the parameters, the password and the
// salt (no secret, no associated data), with 8 spare bytes for the block
// counter and the lane of fillFirstBlocks.
func initialHash(password, salt []byte, time, memory, lanes, keyLen uint32) [blake2b.Size + 8]byte {
	b2, _ := blake2b.New512(nil) // no key: cannot fail
	writeLE32 := func(v uint32) { b2.Write(binary.LittleEndian.AppendUint32(nil, v)) }
	for _, v := range []uint32{lanes, keyLen, memory, time, argon2Version, argon2Type} {
		writeLE32(v)
	}
	for _, field := range [][]byte{password, salt, nil, nil} {
		writeLE32(uint32(len(field)))
		b2.Write(field)
	}
	var h0 [blake2b.Size + 8]byte
	b2.Sum(h0[:0])
	return h0
}

// argonMemory is the memory of one hash and its geometry.
type argonMemory struct {
	b       []argonBlock
	lanes   uint32
	laneLen uint32 // blocks per lane
	segLen  uint32 // blocks per segment: laneLen / syncPoints
	passes  uint32
}

// fillFirstBlocks sets the first two blocks of each lane from H0.
func (m *argonMemory) fillFirstBlocks(h0 [blake2b.Size + 8]byte) {
	var buf [blockWords * 8]byte
	for lane := range m.lanes {
		binary.LittleEndian.PutUint32(h0[blake2b.Size+4:], lane)
		for i := range uint32(2) {
			binary.LittleEndian.PutUint32(h0[blake2b.Size:], i)
			variableHash(buf[:], h0[:])
			blk := &m.b[lane*m.laneLen+i]
			for w := range blk {
				blk[w] = binary.LittleEndian.Uint64(buf[w*8:])
			}
		}
	}
}

// fillSegment computes one segment of one lane. Argon2id picks reference
// blocks from a pseudo-random address stream in the first half of the first
// pass, and from the previous block's first word everywhere else.
func (m *argonMemory) fillSegment(pass, slice, lane uint32) {
	independent := pass == 0 && slice < syncPoints/2
	var addresses, input, zero argonBlock
	if independent {
		input[0], input[1], input[2] = uint64(pass), uint64(lane), uint64(slice)
		input[3], input[4], input[5] = uint64(len(m.b)), uint64(m.passes), argon2Type
	}
	index := uint32(0)
	if pass == 0 && slice == 0 {
		index = 2 // set by fillFirstBlocks
		if independent {
			nextAddresses(&addresses, &input, &zero)
		}
	}
	offset := lane*m.laneLen + slice*m.segLen + index
	for ; index < m.segLen; index, offset = index+1, offset+1 {
		prev := offset - 1
		if index == 0 && slice == 0 {
			prev += m.laneLen // the lane's last block
		}
		var random uint64
		if independent {
			if index%blockWords == 0 {
				nextAddresses(&addresses, &input, &zero)
			}
			random = addresses[index%blockWords]
		} else {
			random = m.b[prev][0]
		}
		ref := m.referenceIndex(random, pass, slice, lane, index)
		compress(&m.b[offset], &m.b[prev], &m.b[ref], true)
	}
}

// nextAddresses advances the counter of input and derives the next 128
// pseudo-random words into addresses: G(0, G(0, input)).
func nextAddresses(addresses, input, zero *argonBlock) {
	input[6]++
	compress(addresses, input, zero, false)
	compress(addresses, addresses, zero, false)
}

// referenceIndex maps the pseudo-random word of block index of (pass, slice,
// lane) to the block it references: a lane from the high half (its own lane
// in the first slice of the first pass), a position among the blocks that
// lane has finished from the low half, skewed towards the most recent ones.
func (m *argonMemory) referenceIndex(random uint64, pass, slice, lane, index uint32) uint32 {
	refLane := uint32(random>>32) % m.lanes
	if pass == 0 && slice == 0 {
		refLane = lane
	}
	area, start := 3*m.segLen, ((slice+1)%syncPoints)*m.segLen
	if pass == 0 {
		area, start = slice*m.segLen, 0
	}
	if refLane == lane {
		area += index
	}
	if index == 0 || refLane == lane {
		area-- // never the block just before, nor one being written
	}
	x := random & 0xFFFFFFFF
	x = (x * x) >> 32
	x = (uint64(area) * x) >> 32
	rel := uint64(area) - 1 - x
	return refLane*m.laneLen + uint32((uint64(start)+rel)%uint64(m.laneLen))
}

// finalKey XORs the last block of every lane and hashes it to keyLen bytes.
func (m *argonMemory) finalKey(keyLen uint32) []byte {
	var last argonBlock
	for lane := range m.lanes {
		for w, v := range m.b[lane*m.laneLen+m.laneLen-1] {
			last[w] ^= v
		}
	}
	buf := make([]byte, 0, blockWords*8)
	for _, v := range last {
		buf = binary.LittleEndian.AppendUint64(buf, v)
	}
	key := make([]byte, keyLen)
	variableHash(key, buf)
	return key
}

// variableHash is H' of RFC 9106: BLAKE2b stretched to len(out) bytes.
func variableHash(out, in []byte) {
	var prefix [4]byte
	binary.LittleEndian.PutUint32(prefix[:], uint32(len(out)))
	if len(out) <= blake2b.Size {
		b2 := newBlake2b(len(out))
		b2.Write(prefix[:])
		b2.Write(in)
		b2.Sum(out[:0])
		return
	}
	b2 := newBlake2b(blake2b.Size)
	b2.Write(prefix[:])
	b2.Write(in)
	v := b2.Sum(nil)
	rest := out
	for {
		copy(rest, v[:32])
		rest = rest[32:]
		if len(rest) <= blake2b.Size {
			break
		}
		b2.Reset()
		b2.Write(v)
		v = b2.Sum(v[:0])
	}
	last := newBlake2b(len(rest))
	last.Write(v)
	last.Sum(rest[:0])
}

// newBlake2b returns unkeyed BLAKE2b with a size of 1 to 64 bytes.
func newBlake2b(size int) gohash.Hash {
	h, err := blake2b.New(size, nil)
	if err != nil {
		panic(err) // sizes come from this file: 1 to 64
	}
	return h
}

// compress is the compression function G: out = G(x, y), or out ^= G(x, y)
// with xor (every pass after the first, version 0x13). G XORs its inputs into
// R, applies the BlaMka permutation to R's eight rows of 16 words and then to
// its eight columns (two adjacent words from each row), and XORs the result
// with R.
func compress(out, x, y *argonBlock, xor bool) {
	var r, t argonBlock
	for i := range r {
		r[i] = x[i] ^ y[i]
	}
	t = r
	for i := 0; i < blockWords; i += 16 {
		permute((*[16]uint64)(t[i : i+16]))
	}
	var col [16]uint64
	for i := 0; i < 16; i += 2 {
		for row := range 8 {
			col[2*row], col[2*row+1] = t[16*row+i], t[16*row+i+1]
		}
		permute(&col)
		for row := range 8 {
			t[16*row+i], t[16*row+i+1] = col[2*row], col[2*row+1]
		}
	}
	if xor {
		for i := range out {
			out[i] ^= r[i] ^ t[i]
		}
		return
	}
	for i := range out {
		out[i] = r[i] ^ t[i]
	}
}

// permute is the BlaMka permutation P over 16 words: the BLAKE2b round with
// multiplication-hardened additions, a + b + 2*lo32(a)*lo32(b), applied by
// columns of the 4x4 matrix and then by diagonals. Written out in full, since
// it is the inner loop of every hash.
func permute(v *[16]uint64) {
	v0, v1, v2, v3, v4, v5, v6, v7 := v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]
	v8, v9, v10, v11, v12, v13, v14, v15 := v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15]
	v0 += v4 + 2*uint64(uint32(v0))*uint64(uint32(v4))
	v12 = bits.RotateLeft64(v12^v0, -32)
	v8 += v12 + 2*uint64(uint32(v8))*uint64(uint32(v12))
	v4 = bits.RotateLeft64(v4^v8, -24)
	v0 += v4 + 2*uint64(uint32(v0))*uint64(uint32(v4))
	v12 = bits.RotateLeft64(v12^v0, -16)
	v8 += v12 + 2*uint64(uint32(v8))*uint64(uint32(v12))
	v4 = bits.RotateLeft64(v4^v8, -63)
	v1 += v5 + 2*uint64(uint32(v1))*uint64(uint32(v5))
	v13 = bits.RotateLeft64(v13^v1, -32)
	v9 += v13 + 2*uint64(uint32(v9))*uint64(uint32(v13))
	v5 = bits.RotateLeft64(v5^v9, -24)
	v1 += v5 + 2*uint64(uint32(v1))*uint64(uint32(v5))
	v13 = bits.RotateLeft64(v13^v1, -16)
	v9 += v13 + 2*uint64(uint32(v9))*uint64(uint32(v13))
	v5 = bits.RotateLeft64(v5^v9, -63)
	v2 += v6 + 2*uint64(uint32(v2))*uint64(uint32(v6))
	v14 = bits.RotateLeft64(v14^v2, -32)
	v10 += v14 + 2*uint64(uint32(v10))*uint64(uint32(v14))
	v6 = bits.RotateLeft64(v6^v10, -24)
	v2 += v6 + 2*uint64(uint32(v2))*uint64(uint32(v6))
	v14 = bits.RotateLeft64(v14^v2, -16)
	v10 += v14 + 2*uint64(uint32(v10))*uint64(uint32(v14))
	v6 = bits.RotateLeft64(v6^v10, -63)
	v3 += v7 + 2*uint64(uint32(v3))*uint64(uint32(v7))
	v15 = bits.RotateLeft64(v15^v3, -32)
	v11 += v15 + 2*uint64(uint32(v11))*uint64(uint32(v15))
	v7 = bits.RotateLeft64(v7^v11, -24)
	v3 += v7 + 2*uint64(uint32(v3))*uint64(uint32(v7))
	v15 = bits.RotateLeft64(v15^v3, -16)
	v11 += v15 + 2*uint64(uint32(v11))*uint64(uint32(v15))
	v7 = bits.RotateLeft64(v7^v11, -63)
	v0 += v5 + 2*uint64(uint32(v0))*uint64(uint32(v5))
	v15 = bits.RotateLeft64(v15^v0, -32)
	v10 += v15 + 2*uint64(uint32(v10))*uint64(uint32(v15))
	v5 = bits.RotateLeft64(v5^v10, -24)
	v0 += v5 + 2*uint64(uint32(v0))*uint64(uint32(v5))
	v15 = bits.RotateLeft64(v15^v0, -16)
	v10 += v15 + 2*uint64(uint32(v10))*uint64(uint32(v15))
	v5 = bits.RotateLeft64(v5^v10, -63)
	v1 += v6 + 2*uint64(uint32(v1))*uint64(uint32(v6))
	v12 = bits.RotateLeft64(v12^v1, -32)
	v11 += v12 + 2*uint64(uint32(v11))*uint64(uint32(v12))
	v6 = bits.RotateLeft64(v6^v11, -24)
	v1 += v6 + 2*uint64(uint32(v1))*uint64(uint32(v6))
	v12 = bits.RotateLeft64(v12^v1, -16)
	v11 += v12 + 2*uint64(uint32(v11))*uint64(uint32(v12))
	v6 = bits.RotateLeft64(v6^v11, -63)
	v2 += v7 + 2*uint64(uint32(v2))*uint64(uint32(v7))
	v13 = bits.RotateLeft64(v13^v2, -32)
	v8 += v13 + 2*uint64(uint32(v8))*uint64(uint32(v13))
	v7 = bits.RotateLeft64(v7^v8, -24)
	v2 += v7 + 2*uint64(uint32(v2))*uint64(uint32(v7))
	v13 = bits.RotateLeft64(v13^v2, -16)
	v8 += v13 + 2*uint64(uint32(v8))*uint64(uint32(v13))
	v7 = bits.RotateLeft64(v7^v8, -63)
	v3 += v4 + 2*uint64(uint32(v3))*uint64(uint32(v4))
	v14 = bits.RotateLeft64(v14^v3, -32)
	v9 += v14 + 2*uint64(uint32(v9))*uint64(uint32(v14))
	v4 = bits.RotateLeft64(v4^v9, -24)
	v3 += v4 + 2*uint64(uint32(v3))*uint64(uint32(v4))
	v14 = bits.RotateLeft64(v14^v3, -16)
	v9 += v14 + 2*uint64(uint32(v9))*uint64(uint32(v14))
	v4 = bits.RotateLeft64(v4^v9, -63)
	v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7] = v0, v1, v2, v3, v4, v5, v6, v7
	v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15] = v8, v9, v10, v11, v12, v13, v14, v15
}
