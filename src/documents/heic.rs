//! HEIC photos (what iPhones take) turned into JPEG, so that any agent's
//! browser shows them.
//!
//! The page converts in the browser when it can decode HEIC (Safari does);
//! otherwise the server does it here, with the system's libheif. That library
//! is a C dependency, so the converter sits behind the cargo feature `heic`
//! (CI enables it; `apt install libheif-dev`). Without the feature,
//! [`AVAILABLE`] is false and HEIC files are kept as they were sent.
//!
//! The binding is a dozen functions of libheif's C API, checked against the
//! headers of Debian 12's libheif 1.15 and written by hand rather than
//! generated, so the feature needs neither bindgen nor a newer libheif.

/// Why a HEIC file could not be turned into a JPEG.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    #[error("the converter is not built in (cargo feature `heic`)")]
    Unavailable,
    #[error("unreadable HEIC file: {0}")]
    Decode(String),
    #[error("image too large: {width}×{height} pixels")]
    TooLarge { width: u32, height: u32 },
    #[error("JPEG encoding failed: {0}")]
    Encode(String),
}

/// The largest picture converted (the same limit as for uploaded images).
pub use crate::domain::limits::MAX_PIXELS;

/// Whether this build converts HEIC on the server.
pub const AVAILABLE: bool = cfg!(feature = "heic");

/// JPEG quality of converted photos: documents stay readable, files small.
#[cfg(feature = "heic")]
const QUALITY: u8 = 88;

/// Conversions running at once: each holds a decoded photo (up to
/// 3 bytes per pixel) and keeps a core busy, so their number is bounded.
static CONVERSIONS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// [`to_jpeg`] off the async runtime, at most two at a time.
pub async fn convert(heic: Vec<u8>) -> Result<Vec<u8>, ConvertError> {
    let _permit = CONVERSIONS
        .acquire()
        .await
        .map_err(|_| ConvertError::Unavailable)?;
    tokio::task::spawn_blocking(move || to_jpeg(&heic))
        .await
        .map_err(|e| ConvertError::Decode(e.to_string()))?
}

/// Decodes the primary image of a HEIC file (rotation and mirroring applied)
/// and encodes it as a baseline JPEG. CPU-bound: call it from
/// `spawn_blocking`.
#[cfg(feature = "heic")]
pub fn to_jpeg(heic: &[u8]) -> Result<Vec<u8>, ConvertError> {
    let rgb = ffi::decode_rgb(heic)?;
    let mut out = Vec::with_capacity(rgb.pixels.len() / 8);
    let encoder = jpeg_encoder::Encoder::new(&mut out, QUALITY);
    encoder
        .encode(
            &rgb.pixels,
            rgb.width as u16,
            rgb.height as u16,
            jpeg_encoder::ColorType::Rgb,
        )
        .map_err(|e| ConvertError::Encode(e.to_string()))?;
    Ok(out)
}

#[cfg(not(feature = "heic"))]
pub fn to_jpeg(_heic: &[u8]) -> Result<Vec<u8>, ConvertError> {
    Err(ConvertError::Unavailable)
}

#[cfg(feature = "heic")]
mod ffi {
    //! The part of libheif's C API used here (heif.h, libheif ≥ 1.4).

    use std::ffi::{CStr, c_char, c_int, c_void};
    use std::ptr;

    use super::{ConvertError, MAX_PIXELS};

    #[repr(C)]
    struct HeifError {
        code: c_int,
        subcode: c_int,
        message: *const c_char,
    }

    #[repr(C)]
    struct HeifContext {
        _private: [u8; 0],
    }
    #[repr(C)]
    struct HeifImageHandle {
        _private: [u8; 0],
    }
    #[repr(C)]
    struct HeifImage {
        _private: [u8; 0],
    }

    const COLORSPACE_RGB: c_int = 1;
    const CHROMA_INTERLEAVED_RGB: c_int = 10;
    const CHANNEL_INTERLEAVED: c_int = 10;
    /// JPEG's baseline limit for each side.
    const MAX_SIDE: c_int = 65_535;

    #[link(name = "heif")]
    unsafe extern "C" {
        fn heif_context_alloc() -> *mut HeifContext;
        fn heif_context_free(ctx: *mut HeifContext);
        fn heif_context_set_maximum_image_size_limit(ctx: *mut HeifContext, max_width: c_int);
        fn heif_context_read_from_memory_without_copy(
            ctx: *mut HeifContext,
            mem: *const c_void,
            size: usize,
            options: *const c_void,
        ) -> HeifError;
        fn heif_context_get_primary_image_handle(
            ctx: *mut HeifContext,
            handle: *mut *mut HeifImageHandle,
        ) -> HeifError;
        fn heif_image_handle_get_width(handle: *const HeifImageHandle) -> c_int;
        fn heif_image_handle_get_height(handle: *const HeifImageHandle) -> c_int;
        fn heif_image_handle_release(handle: *const HeifImageHandle);
        fn heif_decode_image(
            handle: *const HeifImageHandle,
            image: *mut *mut HeifImage,
            colorspace: c_int,
            chroma: c_int,
            options: *const c_void,
        ) -> HeifError;
        fn heif_image_get_width(image: *const HeifImage, channel: c_int) -> c_int;
        fn heif_image_get_height(image: *const HeifImage, channel: c_int) -> c_int;
        fn heif_image_get_plane_readonly(
            image: *const HeifImage,
            channel: c_int,
            stride: *mut c_int,
        ) -> *const u8;
        fn heif_image_release(image: *const HeifImage);
    }

    /// Owned pointers, released in reverse order whatever happens.
    struct Guard {
        ctx: *mut HeifContext,
        handle: *mut HeifImageHandle,
        image: *mut HeifImage,
    }

    impl Drop for Guard {
        fn drop(&mut self) {
            // SAFETY: each pointer is either null or was returned by libheif
            // and not released yet; they are released once, here.
            unsafe {
                if !self.image.is_null() {
                    heif_image_release(self.image);
                }
                if !self.handle.is_null() {
                    heif_image_handle_release(self.handle);
                }
                if !self.ctx.is_null() {
                    heif_context_free(self.ctx);
                }
            }
        }
    }

    fn check(err: HeifError) -> Result<(), ConvertError> {
        if err.code == 0 {
            return Ok(());
        }
        let message = if err.message.is_null() {
            String::new()
        } else {
            // SAFETY: libheif documents `message` as a valid C string
            // (static or owned by the context, alive while we read it).
            unsafe { CStr::from_ptr(err.message) }
                .to_string_lossy()
                .into_owned()
        };
        Err(ConvertError::Decode(format!(
            "{message} ({}/{})",
            err.code, err.subcode
        )))
    }

    pub struct Rgb {
        pub width: u32,
        pub height: u32,
        pub pixels: Vec<u8>,
    }

    pub fn decode_rgb(heic: &[u8]) -> Result<Rgb, ConvertError> {
        // SAFETY: the calls follow libheif's documented protocol: a context
        // reads `heic` (borrowed for the whole function, as the
        // "without_copy" variant requires), every out-pointer is checked
        // before use, the plane is read within `stride × height` bytes while
        // the image is alive, and `Guard` releases everything at the end.
        unsafe {
            let mut guard = Guard {
                ctx: heif_context_alloc(),
                handle: ptr::null_mut(),
                image: ptr::null_mut(),
            };
            if guard.ctx.is_null() {
                return Err(ConvertError::Decode("out of memory".into()));
            }
            heif_context_set_maximum_image_size_limit(guard.ctx, MAX_SIDE);
            check(heif_context_read_from_memory_without_copy(
                guard.ctx,
                heic.as_ptr().cast(),
                heic.len(),
                ptr::null(),
            ))?;
            check(heif_context_get_primary_image_handle(
                guard.ctx,
                &mut guard.handle,
            ))?;
            if guard.handle.is_null() {
                return Err(ConvertError::Decode("no primary image".into()));
            }
            let (w, h) = (
                heif_image_handle_get_width(guard.handle),
                heif_image_handle_get_height(guard.handle),
            );
            if w <= 0 || h <= 0 {
                return Err(ConvertError::Decode("empty image".into()));
            }
            if (w as u64) * (h as u64) > MAX_PIXELS || w > MAX_SIDE || h > MAX_SIDE {
                return Err(ConvertError::TooLarge {
                    width: w as u32,
                    height: h as u32,
                });
            }
            check(heif_decode_image(
                guard.handle,
                &mut guard.image,
                COLORSPACE_RGB,
                CHROMA_INTERLEAVED_RGB,
                ptr::null(),
            ))?;
            if guard.image.is_null() {
                return Err(ConvertError::Decode("nothing decoded".into()));
            }
            // The decoded size can differ from the handle's (rotation).
            let width = heif_image_get_width(guard.image, CHANNEL_INTERLEAVED);
            let height = heif_image_get_height(guard.image, CHANNEL_INTERLEAVED);
            if width <= 0 || height <= 0 || width > MAX_SIDE || height > MAX_SIDE {
                return Err(ConvertError::Decode("invalid decoded size".into()));
            }
            let mut stride: c_int = 0;
            let plane =
                heif_image_get_plane_readonly(guard.image, CHANNEL_INTERLEAVED, &mut stride);
            let row = width as usize * 3;
            if plane.is_null() || (stride as usize) < row {
                return Err(ConvertError::Decode("no RGB plane".into()));
            }
            let mut pixels = Vec::with_capacity(row * height as usize);
            for y in 0..height as usize {
                let line = std::slice::from_raw_parts(plane.add(y * stride as usize), row);
                pixels.extend_from_slice(line);
            }
            Ok(Rgb {
                width: width as u32,
                height: height as u32,
                pixels,
            })
        }
    }
}

#[cfg(all(test, feature = "heic"))]
mod tests {
    use super::*;

    /// A 120×80 HEIC photo made for these tests with libheif's `heif-enc`
    /// from a picture whose top third is blue and the rest red.
    const PHOTO: &[u8] = include_bytes!("../../tests/fixtures/photo.heic");

    /// The width and height in a JPEG's start-of-frame segment.
    fn jpeg_size(jpeg: &[u8]) -> (u16, u16) {
        let mut i = 2;
        while i + 9 < jpeg.len() {
            assert_eq!(jpeg[i], 0xFF, "marker expected at {i}");
            let marker = jpeg[i + 1];
            let len = u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]) as usize;
            if (0xC0..=0xC2).contains(&marker) {
                let h = u16::from_be_bytes([jpeg[i + 5], jpeg[i + 6]]);
                let w = u16::from_be_bytes([jpeg[i + 7], jpeg[i + 8]]);
                return (w, h);
            }
            i += 2 + len;
        }
        panic!("no start-of-frame segment");
    }

    #[test]
    fn converts_a_photo_to_a_jpeg_of_the_same_size() {
        let rgb = ffi::decode_rgb(PHOTO).unwrap();
        assert_eq!((rgb.width, rgb.height), (120, 80));
        // Top third blue, the rest red (lossy: compare the dominant channel).
        let at = |x: usize, y: usize| {
            let i = (y * 120 + x) * 3;
            (rgb.pixels[i], rgb.pixels[i + 1], rgb.pixels[i + 2])
        };
        let (r, _, b) = at(60, 10);
        assert!(b > 150 && r < 90, "top should be blue, got r={r} b={b}");
        let (r, _, b) = at(60, 60);
        assert!(r > 150 && b < 90, "bottom should be red, got r={r} b={b}");

        let jpeg = to_jpeg(PHOTO).unwrap();
        assert_eq!(&jpeg[..3], &[0xFF, 0xD8, 0xFF]);
        assert_eq!(&jpeg[jpeg.len() - 2..], &[0xFF, 0xD9]);
        assert_eq!(jpeg_size(&jpeg), (120, 80));
    }

    #[test]
    fn refuses_broken_files_without_crashing() {
        // Truncated in the middle of the image data, headers only, random bytes.
        for broken in [
            &PHOTO[..PHOTO.len() / 2],
            &PHOTO[..64],
            &b"\0\0\0\x18ftypheic\0\0\0\0mif1heic garbage garbage"[..],
            &[][..],
        ] {
            assert!(
                matches!(to_jpeg(broken), Err(ConvertError::Decode(_))),
                "{} bytes should be refused",
                broken.len()
            );
        }
    }
}
