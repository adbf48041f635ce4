//! A fake token-vault service: a ring of k1 (retirable) and k2 (current), and a rotation that
//! refuses any key but k2, as the control plane does.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use identity_proto::v1::{
    DeleteUserTokensRequest, DeleteUserTokensResponse, GetTokenVaultRequest, GetTokenVaultResponse,
    RotateTokenVaultKeyRequest, RotateTokenVaultKeyResponse, TokenVaultDataKey, TokenVaultKey,
    token_vault_service_server::{TokenVaultService, TokenVaultServiceServer},
};
use tonic::{Request, Response, Status, transport::server::TcpIncoming};

use super::authorize;

#[derive(Debug, Clone, Default)]
struct FakeVault {
    seen: Arc<Mutex<Vec<RotateTokenVaultKeyRequest>>>,
    disconnects: Arc<Mutex<Vec<DeleteUserTokensRequest>>>,
}

/// Starts the fake; returns its address and the rotate requests it received.
pub async fn start() -> (SocketAddr, Arc<Mutex<Vec<RotateTokenVaultKeyRequest>>>) {
    let (address, seen, _) = start_recording().await;
    (address, seen)
}

/// Starts the fake; returns its address and the rotate and disconnect requests it received.
pub async fn start_recording()
-> (SocketAddr, Arc<Mutex<Vec<RotateTokenVaultKeyRequest>>>, Arc<Mutex<Vec<DeleteUserTokensRequest>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let fake = FakeVault::default();
    let (seen, disconnects) = (fake.seen.clone(), fake.disconnects.clone());
    let router = tonic::transport::Server::builder().add_service(TokenVaultServiceServer::new(fake));
    tokio::spawn(router.serve_with_incoming(TcpIncoming::from(listener)));
    (address, seen, disconnects)
}

#[tonic::async_trait]
impl TokenVaultService for FakeVault {
    async fn get_token_vault(
        &self,
        request: Request<GetTokenVaultRequest>,
    ) -> Result<Response<GetTokenVaultResponse>, Status> {
        authorize(&request)?;
        Ok(Response::new(GetTokenVaultResponse {
            token_vault_id: "default".to_owned(),
            token_vault_arn: "arn:aws:bedrock-agentcore:us-east-1:000000000000:token-vault/default".to_owned(),
            keys: vec![
                TokenVaultKey { key_id: "k1".to_owned(), retirable: true, ..Default::default() },
                TokenVaultKey {
                    key_id: "k2".to_owned(),
                    current: true,
                    data_key_count: 1,
                    ciphertext_count: 3,
                    retirable: false,
                },
            ],
            current_key_id: "k2".to_owned(),
            data_keys: vec![TokenVaultDataKey {
                data_key_id: "v1".to_owned(),
                wrapping_key_id: "k2".to_owned(),
                current: true,
                ciphertext_count: 3,
                created_at: Some(prost_types::Timestamp { seconds: 1_767_225_600, nanos: 0 }),
            }],
            current_data_key_id: "v1".to_owned(),
            last_modified_date: Some(prost_types::Timestamp { seconds: 1_767_225_600, nanos: 0 }),
        }))
    }

    async fn rotate_token_vault_key(
        &self,
        request: Request<RotateTokenVaultKeyRequest>,
    ) -> Result<Response<RotateTokenVaultKeyResponse>, Status> {
        authorize(&request)?;
        let request = request.into_inner();
        self.seen.lock().unwrap().push(request.clone());
        if request.key_id.as_deref().is_some_and(|id| id != "k2") {
            return Err(Status::failed_precondition("the ring's last key ('k2') is current"));
        }
        Ok(Response::new(RotateTokenVaultKeyResponse {
            token_vault_id: "default".to_owned(),
            current_key_id: "k2".to_owned(),
            current_data_key_id: if request.rotate_data_key { "v2" } else { "v1" }.to_owned(),
            rewrapped_count: 1,
            reencrypted_count: if request.rotate_data_key { 3 } else { 0 },
            last_modified_date: None,
        }))
    }

    async fn delete_user_tokens(
        &self,
        request: Request<DeleteUserTokensRequest>,
    ) -> Result<Response<DeleteUserTokensResponse>, Status> {
        authorize(&request)?;
        let request = request.into_inner();
        self.disconnects.lock().unwrap().push(request.clone());
        if request.user_id.is_empty() {
            return Err(Status::invalid_argument("user_id is required"));
        }
        Ok(Response::new(DeleteUserTokensResponse { deleted_count: 2, revoked_count: 1 }))
    }
}
