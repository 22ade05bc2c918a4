// Package synth generates a deterministic synthetic population for GridCast:
// the grid hierarchy (district → street → community → grid → unit grid), the
// grid workers who own it, and a stream of residents with realistic Chinese
// names, ID numbers, mobile numbers, addresses, households and categories.
//
// It feeds `gridcast seed`, the demo and every benchmark, so it is built to
// stream: the hierarchy and the workers (about one grid per 1,000 residents)
// are computed up front, the residents one household at a time, and memory
// stays flat however many residents are asked for.
//
// The same Config always yields the same output, byte for byte: every
// household draws from its own PCG seeded from Config.Seed and the
// household's position in the stream. Uniqueness of ID numbers, mobile
// numbers and WeChat openids comes from bijections of the resident's
// position, not from a set of the values already produced.
//
// The numbers follow the field reports: a grid holds about 300 households or
// 1,000 people and has one grid worker; about 20% of residents are 60 or
// over; categories (unemployed, elderly living alone, floating population …)
// come in plausible shares and follow age and household; TestProportions
// pins the shares achieved.
package synth
