//! The documents store: local disk always, S3 when `DOSSIERSCO_TEST_S3_ENDPOINT`
//! is set. Contents are streamed both ways.

use bytes::Bytes;
use dossiersco::documents::{DocumentError, DocumentStore};
use dossiersco::secret::Secret;
use dossiersco::settings::{DocumentsBackend, Settings};
use futures::{StreamExt, TryStreamExt};
use sha2::{Digest, Sha256};

use crate::harness::require;

/// 12 MiB in 64 KiB chunks, never whole in memory on the producer side.
fn big_body() -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> + Send {
    futures::stream::iter(0..192u32).map(|i| Ok(Bytes::from(vec![(i % 251) as u8; 64 * 1024])))
}

fn expected_digest() -> Vec<u8> {
    let mut hasher = Sha256::new();
    for i in 0..192u32 {
        hasher.update(vec![(i % 251) as u8; 64 * 1024]);
    }
    hasher.finalize().to_vec()
}

async fn exercise(store: DocumentStore, prefix: &str) {
    let key = format!("{prefix}/ecole/piece.bin");
    let size = store
        .put_stream(&key, big_body(), 20 * 1024 * 1024)
        .await
        .unwrap();
    assert_eq!(size, 12 * 1024 * 1024);
    let (stored, stream) = store.get_stream(&key).await.unwrap();
    assert_eq!(stored, size);
    let mut hasher = Sha256::new();
    let mut stream = std::pin::pin!(stream);
    while let Some(chunk) = stream.try_next().await.unwrap() {
        hasher.update(&chunk);
    }
    assert_eq!(hasher.finalize().to_vec(), expected_digest());

    let too_big = format!("{prefix}/ecole/trop-gros.bin");
    let refused = store
        .put_stream(&too_big, big_body(), 1024 * 1024)
        .await
        .unwrap_err();
    assert!(matches!(refused, DocumentError::TooLarge { .. }));
    assert!(
        !store.exists(&too_big).await.unwrap(),
        "nothing is left of a refused upload"
    );

    assert!(matches!(
        store
            .put_bytes("../etc/passwd", Bytes::from_static(b"x"))
            .await,
        Err(DocumentError::InvalidKey)
    ));
    assert!(matches!(
        store.get_stream(&format!("{prefix}/absent")).await.err(),
        Some(DocumentError::NotFound)
    ));
    store.delete(&key).await.unwrap();
    assert!(!store.exists(&key).await.unwrap());
}

#[tokio::test]
async fn documents_stream_to_and_from_local_disk() {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings {
        documents_dir: Some(dir.path().to_path_buf()),
        ..Settings::default()
    };
    let store = DocumentStore::from_settings(&settings).unwrap();
    assert_eq!(store.backend(), DocumentsBackend::Local);
    exercise(store, "test").await;
}

#[tokio::test]
async fn documents_stream_to_and_from_an_s3_server() {
    let Some(endpoint) = require("DOSSIERSCO_TEST_S3_ENDPOINT", "S3 documents store test") else {
        return;
    };
    let bucket =
        std::env::var("DOSSIERSCO_TEST_S3_BUCKET").unwrap_or_else(|_| "dossiersco-test".into());
    let settings = Settings {
        documents_backend: DocumentsBackend::S3,
        s3_bucket: bucket,
        s3_endpoint: Some(endpoint),
        s3_allow_http: true,
        s3_access_key_id: Some("test".into()),
        s3_secret_access_key: Some(Secret::from("test")),
        ..Settings::default()
    };
    let store = DocumentStore::from_settings(&settings).unwrap();
    assert_eq!(store.backend(), DocumentsBackend::S3);
    exercise(store, &uuid::Uuid::new_v4().simple().to_string()).await;
}
