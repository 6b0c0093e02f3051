//! The goods catalog: items uploaded and published by batch tasks, one task at a time. Starting
//! one while another runs is answered 268490012, an
//! [`ApiErrorKind::OrderInProgress`](crate::ApiErrorKind::OrderInProgress) that the client's
//! [`RetryPolicy`](crate::RetryPolicy) sends again after a pause; read a task's progress with
//! its query. Fields as the public SDKs send them (the pages of these four APIs could not be
//! found).

use serde::{Deserialize, Serialize};

use crate::{Rule, ValidationError, midas_api};

/// A goods id: 1 to 64 characters of `[0-9A-Za-z_-]`.
fn goods_id(field: &'static str, id: &str) -> Result<(), ValidationError> {
    if !(1..=64).contains(&id.len())
        || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(ValidationError::new(field, Rule::Format("1 to 64 characters of [0-9A-Za-z_-]")));
    }
    Ok(())
}

/// Text of 1 to 1024 characters without control characters.
fn catalog_text(field: &'static str, text: &str) -> Result<(), ValidationError> {
    crate::__private0_1::rules::text(field, text)?;
    if text.chars().count() > 1024 {
        return Err(ValidationError::new(field, Rule::Range { min: 1, max: 1024 }));
    }
    Ok(())
}

/// One item to upload, checked when it is made: an id of 1 to 64 characters of
/// `[0-9A-Za-z_-]`, a name and a remark of 1 to 1024 characters, a price in fen above zero.
///
/// ```
/// use midas_api::xpay::UploadItem;
/// let sword = UploadItem::new("sword-1", "Sword", 600)?.with_remark("sharp")?;
/// assert_eq!((sword.id(), sword.price()), ("sword-1", 600));
/// assert!(UploadItem::new("sword 1", "Sword", 600).is_err(), "no spaces in an id");
/// assert!(UploadItem::new("sword-1", "Sword", 0).is_err(), "free goods are refused");
/// # Ok::<(), midas_api::ValidationError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UploadItem {
    id: String,
    name: String,
    price: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    remark: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    item_url: Option<String>,
}

impl UploadItem {
    /// An item `id` named `name` at `price` fen.
    pub fn new(id: impl Into<String>, name: impl Into<String>, price: i64) -> Result<Self, ValidationError> {
        let (id, name) = (id.into(), name.into());
        goods_id("id", &id)?;
        catalog_text("name", &name)?;
        if price <= 0 {
            return Err(ValidationError::new("price", Rule::Positive));
        }
        Ok(Self { id, name, price, remark: None, item_url: None })
    }

    /// With a remark.
    pub fn with_remark(mut self, remark: impl Into<String>) -> Result<Self, ValidationError> {
        let remark = remark.into();
        catalog_text("remark", &remark)?;
        self.remark = Some(remark);
        Ok(self)
    }

    /// With the URL of its picture (`http://` or `https://`).
    pub fn with_item_url(mut self, url: impl Into<String>) -> Result<Self, ValidationError> {
        let url = url.into();
        if !(url.starts_with("https://") || url.starts_with("http://")) || url.contains(char::is_whitespace) {
            return Err(ValidationError::new("item_url", Rule::Url));
        }
        self.item_url = Some(url);
        Ok(self)
    }

    /// The id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The price in fen.
    pub fn price(&self) -> i64 {
        self.price
    }
}

/// `start_upload_goods`: start a task that uploads items. Its body carries no openid.
///
/// ```
/// use midas_api::xpay::{StartUploadGoods, UploadItem};
/// let upload = StartUploadGoods::new(vec![UploadItem::new("sword-1", "Sword", 600)?])?;
/// assert_eq!(upload.items().len(), 1);
/// assert!(StartUploadGoods::new(Vec::new()).is_err(), "an empty task is refused");
/// # Ok::<(), midas_api::ValidationError>(())
/// ```
#[midas_api(scheme = "xpay", path = "/xpay/start_upload_goods", response = StartGoodsTaskResponse, openid = false)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StartUploadGoods {
    #[midas(json)]
    upload_item: Vec<UploadItem>,
}

impl StartUploadGoods {
    /// A task uploading `items`: at least one, ids distinct.
    pub fn new(items: Vec<UploadItem>) -> Result<Self, ValidationError> {
        distinct("upload_item", items.iter().map(UploadItem::id))?;
        Ok(Self { upload_item: items })
    }

    /// The items.
    pub fn items(&self) -> &[UploadItem] {
        &self.upload_item
    }
}

/// At least one id, none twice.
fn distinct<'a>(field: &'static str, ids: impl Iterator<Item = &'a str>) -> Result<(), ValidationError> {
    let mut seen = std::collections::HashSet::new();
    for id in ids {
        if !seen.insert(id) {
            return Err(ValidationError::new(field, Rule::Format("a list of distinct goods ids")));
        }
    }
    if seen.is_empty() {
        return Err(ValidationError::new(field, Rule::NotEmpty));
    }
    Ok(())
}

/// The (empty) answer to [`StartUploadGoods`] and [`StartPublishGoods`]: the task runs; read
/// its progress with the query.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct StartGoodsTaskResponse {}

/// `query_upload_goods`: the last upload task and each item's outcome.
///
/// ```
/// use midas_api::xpay::{GoodsTaskStatus, UploadGoodsResponse};
/// let answer: UploadGoodsResponse = serde_json::from_str(r#"{"errcode":0,"errmsg":"ok","status":3,
///     "upload_item":[{"id":"sword-1","name":"Sword","price":600,"remark":"","item_url":"","upload_status":2,"errmsg":""}]}"#)?;
/// assert_eq!((answer.status(), answer.upload_item[0].upload_status), (GoodsTaskStatus::Succeeded, 2));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[midas_api(scheme = "xpay", path = "/xpay/query_upload_goods", response = UploadGoodsResponse, openid = false)]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueryUploadGoods {}

/// The answer to [`QueryUploadGoods`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct UploadGoodsResponse {
    /// The items of the task.
    #[serde(default)]
    pub upload_item: Vec<UploadedItem>,
    /// 0 no task, 1 running, 2 done with failures, 3 done ([`Self::status`] reads it).
    pub status: i64,
}

impl UploadGoodsResponse {
    /// The state of the task.
    pub fn status(&self) -> GoodsTaskStatus {
        GoodsTaskStatus::of(self.status)
    }
}

/// One item of an upload task and its outcome.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct UploadedItem {
    /// The id.
    pub id: String,
    /// The name.
    #[serde(default)]
    pub name: String,
    /// The price in fen.
    #[serde(default)]
    pub price: i64,
    /// The remark.
    #[serde(default)]
    pub remark: String,
    /// The picture's URL.
    #[serde(default)]
    pub item_url: String,
    /// 0 uploading, 1 the id exists already, 2 uploaded, 3 failed.
    #[serde(default)]
    pub upload_status: i64,
    /// Why it failed.
    #[serde(default)]
    pub errmsg: String,
}

/// The state of a batch task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GoodsTaskStatus {
    /// 0: no task was ever started.
    None,
    /// 1: running.
    Running,
    /// 2: finished, some items failed.
    PartlyFailed,
    /// 3: finished, every item succeeded.
    Succeeded,
    /// A value the docs do not list.
    Other(i64),
}

impl GoodsTaskStatus {
    fn of(status: i64) -> Self {
        match status {
            0 => Self::None,
            1 => Self::Running,
            2 => Self::PartlyFailed,
            3 => Self::Succeeded,
            other => Self::Other(other),
        }
    }
}

/// One goods id to publish.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
struct PublishItem {
    id: String,
}

/// `start_publish_goods`: start a task that publishes uploaded goods, by id.
///
/// ```
/// use midas_api::xpay::StartPublishGoods;
/// let publish = StartPublishGoods::new(["sword-1", "shield-1"])?;
/// assert_eq!(publish.ids().collect::<Vec<_>>(), ["sword-1", "shield-1"]);
/// assert!(StartPublishGoods::new(["sword-1", "sword-1"]).is_err(), "ids are distinct");
/// # Ok::<(), midas_api::ValidationError>(())
/// ```
#[midas_api(scheme = "xpay", path = "/xpay/start_publish_goods", response = StartGoodsTaskResponse, openid = false)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StartPublishGoods {
    #[midas(json)]
    publish_item: Vec<PublishItem>,
}

impl StartPublishGoods {
    /// A task publishing `ids`: at least one, distinct, each 1 to 64 characters of
    /// `[0-9A-Za-z_-]`.
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(ids: I) -> Result<Self, ValidationError> {
        let publish_item: Vec<PublishItem> =
            ids.into_iter().map(|id| PublishItem { id: id.into() }).collect();
        for item in &publish_item {
            goods_id("publish_item", &item.id)?;
        }
        distinct("publish_item", publish_item.iter().map(|item| item.id.as_str()))?;
        Ok(Self { publish_item })
    }

    /// The ids.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.publish_item.iter().map(|item| item.id.as_str())
    }
}

/// `query_publish_goods`: the last publish task and each id's outcome.
///
/// ```
/// use midas_api::xpay::{GoodsTaskStatus, PublishGoodsResponse};
/// let answer: PublishGoodsResponse = serde_json::from_str(r#"{"errcode":0,"errmsg":"ok","status":2,
///     "publish_item":[{"id":"sword-1","publish_status":2,"errmsg":""},{"id":"nothing","publish_status":3,"errmsg":"not uploaded"}]}"#)?;
/// assert_eq!(answer.status(), GoodsTaskStatus::PartlyFailed);
/// assert_eq!(answer.publish_item[1].publish_status, 3);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[midas_api(scheme = "xpay", path = "/xpay/query_publish_goods", response = PublishGoodsResponse, openid = false)]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueryPublishGoods {}

/// The answer to [`QueryPublishGoods`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct PublishGoodsResponse {
    /// The ids of the task.
    #[serde(default)]
    pub publish_item: Vec<PublishedItem>,
    /// 0 no task, 1 running, 2 done with failures, 3 done ([`Self::status`] reads it).
    pub status: i64,
}

impl PublishGoodsResponse {
    /// The state of the task.
    pub fn status(&self) -> GoodsTaskStatus {
        GoodsTaskStatus::of(self.status)
    }
}

/// One id of a publish task and its outcome.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct PublishedItem {
    /// The goods id.
    pub id: String,
    /// 0 publishing, 2 published, 3 failed.
    #[serde(default)]
    pub publish_status: i64,
    /// Why it failed.
    #[serde(default)]
    pub errmsg: String,
}
