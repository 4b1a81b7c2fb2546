//! The documents store: uploaded pieces and generated files, on local disk or
//! in an S3-compatible bucket, behind one interface.
//!
//! Both implementations come from the `object_store` crate, whose
//! `ObjectStore` trait is the one abstraction; this module adds the streaming
//! helpers the application needs. Contents are streamed in both directions and
//! never held whole in memory (an uploaded PDF is read back, bounded, to be
//! parsed: see [`pdf_scan`]). On local disk, the folder is `0700` and every
//! stored file `0600`.

pub mod heic;
pub mod pdf_scan;
pub mod quota;

use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use futures::{Stream, StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};

use crate::settings::{DocumentsBackend, Settings};

/// Why a document could not be stored or read.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("document too large (more than {limit} bytes)")]
    TooLarge { limit: u64 },
    #[error("document not found")]
    NotFound,
    #[error("invalid document key")]
    InvalidKey,
    #[error("storage error: {0}")]
    Store(#[from] object_store::Error),
    #[error("upload stream error: {0}")]
    Stream(#[source] std::io::Error),
    #[error("cannot restrict a stored document to its owner: {0}")]
    Permissions(#[source] std::io::Error),
}

/// A handle on the documents store; cheap to clone.
#[derive(Clone, Debug)]
pub struct DocumentStore {
    inner: Arc<dyn ObjectStore>,
    backend: DocumentsBackend,
    /// The folder of the local backend, whose files are made owner-only.
    local_root: Option<PathBuf>,
}

impl DocumentStore {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let mut local_root = None;
        let inner: Arc<dyn ObjectStore> = match settings.documents_backend {
            DocumentsBackend::Local => {
                let dir = settings.documents_dir();
                crate::private_fs::ensure_dir(&dir)?;
                local_root = Some(dir.canonicalize()?);
                Arc::new(LocalFileSystem::new_with_prefix(&dir)?)
            }
            DocumentsBackend::S3 => {
                let mut builder = AmazonS3Builder::new()
                    .with_bucket_name(&settings.s3_bucket)
                    .with_region(&settings.s3_region)
                    .with_allow_http(settings.s3_allow_http);
                if let Some(endpoint) = &settings.s3_endpoint {
                    builder = builder
                        .with_endpoint(endpoint)
                        .with_virtual_hosted_style_request(false);
                }
                if let Some(key) = &settings.s3_access_key_id {
                    builder = builder.with_access_key_id(key);
                }
                if let Some(secret) = &settings.s3_secret_access_key {
                    builder = builder.with_secret_access_key(secret.expose());
                }
                Arc::new(builder.build()?)
            }
        };
        Ok(Self {
            inner,
            backend: settings.documents_backend,
            local_root,
        })
    }

    pub fn backend(&self) -> DocumentsBackend {
        self.backend
    }

    fn path(key: &str) -> Result<ObjectPath, DocumentError> {
        if key.is_empty()
            || key
                .split('/')
                .any(|part| part.is_empty() || part == "." || part == "..")
        {
            return Err(DocumentError::InvalidKey);
        }
        ObjectPath::parse(key).map_err(|_| DocumentError::InvalidKey)
    }

    /// Streams `body` to `key`, refusing it (and leaving nothing behind) once
    /// it exceeds `limit` bytes. Returns the stored size.
    pub async fn put_stream<S>(&self, key: &str, body: S, limit: u64) -> Result<u64, DocumentError>
    where
        S: Stream<Item = Result<Bytes, std::io::Error>> + Send,
    {
        let path = Self::path(key)?;
        let upload = self.inner.put_multipart(&path).await?;
        let mut writer = WriteMultipart::new(upload);
        let mut size: u64 = 0;
        let mut body = std::pin::pin!(body);
        while let Some(chunk) = body.next().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(err) => {
                    writer.abort().await?;
                    return Err(DocumentError::Stream(err));
                }
            };
            size += chunk.len() as u64;
            if size > limit {
                writer.abort().await?;
                return Err(DocumentError::TooLarge { limit });
            }
            writer.wait_for_capacity(4).await?;
            writer.put(chunk);
        }
        writer.finish().await?;
        self.restrict(key)?;
        Ok(size)
    }

    /// Stores a small in-memory value (generated files).
    pub async fn put_bytes(&self, key: &str, bytes: Bytes) -> Result<(), DocumentError> {
        self.inner.put(&Self::path(key)?, bytes.into()).await?;
        self.restrict(key)
    }

    /// `object_store` creates local files with the umask's mode; the folder
    /// is already owner-only, the file is made so too.
    fn restrict(&self, key: &str) -> Result<(), DocumentError> {
        if let Some(root) = &self.local_root {
            crate::private_fs::restrict_file(&root.join(key))
                .map_err(DocumentError::Permissions)?;
        }
        Ok(())
    }

    /// Reads the whole document at `key`, refusing it above `limit` bytes.
    pub async fn get_bytes(&self, key: &str, limit: u64) -> Result<Vec<u8>, DocumentError> {
        let (size, stream) = self.get_stream(key).await?;
        if size > limit {
            return Err(DocumentError::TooLarge { limit });
        }
        let mut bytes = Vec::with_capacity(size as usize);
        let mut stream = std::pin::pin!(stream);
        while let Some(chunk) = stream.try_next().await? {
            if (bytes.len() + chunk.len()) as u64 > limit {
                return Err(DocumentError::TooLarge { limit });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }

    /// Streams the document at `key`.
    pub async fn get_stream(
        &self,
        key: &str,
    ) -> Result<
        (
            u64,
            impl Stream<Item = Result<Bytes, DocumentError>> + use<>,
        ),
        DocumentError,
    > {
        let result = match self.inner.get(&Self::path(key)?).await {
            Ok(result) => result,
            Err(object_store::Error::NotFound { .. }) => return Err(DocumentError::NotFound),
            Err(err) => return Err(err.into()),
        };
        let size = result.meta.size;
        Ok((size, result.into_stream().map_err(DocumentError::from)))
    }

    pub async fn delete(&self, key: &str) -> Result<(), DocumentError> {
        match self.inner.delete(&Self::path(key)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(err) => Err(err.into()),
        }
    }

    pub async fn exists(&self, key: &str) -> Result<bool, DocumentError> {
        match self.inner.head(&Self::path(key)?).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(err) => Err(err.into()),
        }
    }
}
