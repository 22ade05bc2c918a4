// Package blob keeps photos and residents' WeChat images and voice.
//
// Two layers:
//
//   - [Store] is where bytes live: a key-value interface a local directory
//     (blob/localfs) and any S3-compatible service (blob/s3: Aliyun OSS, an
//     on-premises MinIO) implement. Both pass the conformance suite in
//     blob/blobtest.
//   - [Media] is what the product calls: it sniffs the bytes (never trusting
//     the declared type or a file name), refuses types and sizes outside
//     [Limits] with an error naming why, keys the object by its SHA-256 so
//     that a duplicate upload is stored once, and makes a JPEG thumbnail for
//     images, stored beside the original.
//
// The package imports no provider SDK; the implementations are leaf
// sub-packages built in cmd/gridcast.
package blob
