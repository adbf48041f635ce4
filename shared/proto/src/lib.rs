//! The `agentcore.identity.v1` API as Rust types, generated from `proto/` at build time.
//!
//! Generated code stays in `OUT_DIR`; services convert these wire types into domain types once,
//! at their edge, and never pass them further in.

#![allow(missing_docs, missing_debug_implementations, clippy::all)]

/// Package `agentcore.identity.v1`.
pub mod v1 {
    tonic::include_proto!("agentcore.identity.v1");
}

/// The encoded `FileDescriptorSet` of every file in `proto/`, for gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/identity_descriptor.bin"));
