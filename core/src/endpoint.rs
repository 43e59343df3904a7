//! The four upstream endpoints, what differs between them, and the photo fields they carry.

use std::fmt;
use std::str::FromStr;

use crate::messages::{Msg, Text};

/// An endpoint of the platform that a parking lot pushes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    /// Vehicle enter: `POST /gate/1.0/parking/internal/enter`.
    Enter,
    /// Vehicle leave (page 001): `POST /gate/1.0/parking/internal/leave`.
    Leave,
    /// Abnormal barrier release (page 002): `POST /gate/1.0/parking/internal/release`.
    Release,
    /// Record update (page 003): `POST /gate/1.0/parking/internal/update`.
    Update,
}

/// How a time field of an endpoint is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeFormat {
    /// Epoch milliseconds as a decimal string (enter, leave).
    EpochMillis,
    /// UTC `yyyy-MM-dd'T'HH:mm:ss'Z'`, `.SSS` allowed (release, update).
    UtcIso,
}

impl Endpoint {
    /// All four, in the order a record's life goes through them.
    pub const ALL: [Endpoint; 4] = [
        Endpoint::Enter,
        Endpoint::Leave,
        Endpoint::Release,
        Endpoint::Update,
    ];

    /// The short name: `enter`, `leave`, `release`, `update`.
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::Enter => "enter",
            Endpoint::Leave => "leave",
            Endpoint::Release => "release",
            Endpoint::Update => "update",
        }
    }

    /// The URL path, to be appended to the base URL.
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Enter => "/gate/1.0/parking/internal/enter",
            Endpoint::Leave => "/gate/1.0/parking/internal/leave",
            Endpoint::Release => "/gate/1.0/parking/internal/release",
            Endpoint::Update => "/gate/1.0/parking/internal/update",
        }
    }

    /// The endpoint serving a URL path (exact match), for the sandbox and diagnostics.
    pub fn from_path(path: &str) -> Option<Endpoint> {
        Endpoint::ALL.iter().copied().find(|e| e.path() == path)
    }

    /// The time format of this endpoint's time fields.
    pub fn time_format(self) -> TimeFormat {
        match self {
            Endpoint::Enter | Endpoint::Leave => TimeFormat::EpochMillis,
            Endpoint::Release | Endpoint::Update => TimeFormat::UtcIso,
        }
    }

    /// Response codes that mean "accepted".
    ///
    /// enter/leave: `200` (page 001), plus `1000`/`1001`, which the platform's own sample code
    /// also accepts. release/update: `1001` (pages 002/003); `200` too, because page 002's notes
    /// say "200 means success" and treating a success as a failure would resend forever.
    pub fn success_codes(self) -> &'static [&'static str] {
        match self {
            Endpoint::Enter | Endpoint::Leave => &["200", "1000", "1001"],
            Endpoint::Release | Endpoint::Update => &["1001", "200"],
        }
    }

    /// The code the sandbox answers on acceptance.
    pub fn primary_success_code(self) -> &'static str {
        self.success_codes()[0]
    }

    /// Whether a bad signature is answered as "accepted but ignored" (`200` + hint, enter and
    /// leave) rather than with code `401` (release, update).
    pub fn signature_failure_is_ignored(self) -> bool {
        matches!(self, Endpoint::Enter | Endpoint::Leave)
    }

    /// The file parts this endpoint takes. A leave may carry the enter half (page 001, note 8).
    pub fn file_fields(self) -> &'static [FileField] {
        match self {
            Endpoint::Enter => &[FileField::EnterImage, FileField::EnterPlateImage],
            Endpoint::Leave => &[
                FileField::EnterImage,
                FileField::EnterPlateImage,
                FileField::LeaveImage,
                FileField::LeavePlateImage,
            ],
            Endpoint::Release => &[FileField::CaptureImage],
            Endpoint::Update => &[],
        }
    }

    /// The field that makes a record unique for the platform (a repeat is ignored, which is
    /// what makes resending safe).
    pub fn dedup_field(self) -> &'static str {
        match self {
            Endpoint::Update => "flow_no",
            _ => "parking_serial",
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Endpoint {
    type Err = Text;
    fn from_str(s: &str) -> Result<Self, Text> {
        let t = s.trim();
        Endpoint::ALL
            .iter()
            .copied()
            .find(|e| e.name().eq_ignore_ascii_case(t) || e.path() == t)
            .ok_or_else(|| Text::new(Msg::EndpointUnknown, &[&format_args!("{:?}", s)]))
    }
}

/// The file parts the protocol knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileField {
    /// `enter_image_file`, hashed into `enter_image_hash`.
    EnterImage,
    /// `enter_plate_image_file`, hashed into `enter_plate_image_hash`.
    EnterPlateImage,
    /// `leave_image_file`, hashed into `leave_image_hash`.
    LeaveImage,
    /// `leave_plate_image_file`, hashed into `leave_plate_image_hash`.
    LeavePlateImage,
    /// `capture_image` of an abnormal release (page 002: the field carries either a URL or the
    /// file's bytes). It has no hash field, so it is neither hashed nor signed.
    CaptureImage,
}

impl FileField {
    /// Every file field, in a fixed order.
    pub const ALL: [FileField; 5] = [
        FileField::EnterImage,
        FileField::EnterPlateImage,
        FileField::LeaveImage,
        FileField::LeavePlateImage,
        FileField::CaptureImage,
    ];

    /// The multipart part name.
    pub fn name(self) -> &'static str {
        match self {
            FileField::EnterImage => "enter_image_file",
            FileField::EnterPlateImage => "enter_plate_image_file",
            FileField::LeaveImage => "leave_image_file",
            FileField::LeavePlateImage => "leave_plate_image_file",
            FileField::CaptureImage => "capture_image",
        }
    }

    /// The signed text field that carries this file's MD5, if the protocol has one.
    pub fn hash_field(self) -> Option<&'static str> {
        match self {
            FileField::EnterImage => Some("enter_image_hash"),
            FileField::EnterPlateImage => Some("enter_plate_image_hash"),
            FileField::LeaveImage => Some("leave_image_hash"),
            FileField::LeavePlateImage => Some("leave_plate_image_hash"),
            FileField::CaptureImage => None,
        }
    }

    /// The field from its part name (`enter_image_file`, ...).
    pub fn from_name(name: &str) -> Option<FileField> {
        FileField::ALL.iter().copied().find(|f| f.name() == name)
    }
}

impl fmt::Display for FileField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
