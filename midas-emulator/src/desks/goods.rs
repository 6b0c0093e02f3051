//! The goods catalog desk: `start_upload_goods`, `query_upload_goods`,
//! `start_publish_goods`, `query_publish_goods`.
//!
//! Each environment has a catalog of uploaded goods, some of them published. Uploads and
//! publications are batch tasks, one at a time per environment: starting either while one
//! runs is refused with 268490012. A task finishes at the [`TASK_POLLS`]-th query of its kind
//! (`query_upload_goods` for an upload, `query_publish_goods` for a publication), or when a
//! test calls [`GoodsDesk::finish_task`]; its effect on the catalog is applied then, not
//! before.
//!
//! - An upload task lists items (`id` of 1 to 64 characters of `[0-9A-Za-z_-]`, a `name`, a
//!   `price` in fen above zero, optional `remark` and `item_url`); a bad item or an empty or
//!   repeating list is refused when the task starts (268490002). When it finishes each item
//!   is added (`upload_status` 2), or reported with `upload_status` 1 if its id is in the
//!   catalog already (the catalog keeps the first).
//! - A publish task lists ids; when it finishes an uploaded id is published
//!   (`publish_status` 2), any other fails (`publish_status` 3, `errmsg` says why).
//! - A query answers the last task of its kind: `status` 0 if there was none, 1 while it runs
//!   (items at status 0), 2 finished with failures, 3 finished without.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::per_env::PerEnv;
use midas_core::{Env, Scheme};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::routes::{Route, RouteError, RouteFields, RouteRequest};

/// The query of a task's kind that sees it finish: the queries before answer "running".
pub const TASK_POLLS: u32 = 2;

/// The errcode of a start while a batch task runs.
const TASK_RUNNING: i64 = 268_490_012;

/// One item of the catalog.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Goods {
    /// The id.
    pub id: String,
    /// The name.
    pub name: String,
    /// The price in fen.
    pub price: i64,
    /// The remark.
    pub remark: String,
    /// The picture's URL.
    pub item_url: String,
    /// Whether it is published.
    pub published: bool,
}

/// An item of an upload task, as sent.
#[derive(Clone, Debug, Deserialize)]
struct UploadEntry {
    id: String,
    name: String,
    price: i64,
    #[serde(default)]
    remark: String,
    #[serde(default)]
    item_url: String,
}

#[derive(Deserialize)]
struct UploadBody {
    upload_item: Vec<UploadEntry>,
}

#[derive(Deserialize)]
struct PublishEntry {
    id: String,
}

#[derive(Deserialize)]
struct PublishBody {
    publish_item: Vec<PublishEntry>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Upload,
    Publish,
}

/// A task and its items' outcomes (`None` while it runs).
#[derive(Clone, Debug)]
struct Task {
    kind: Kind,
    uploads: Vec<UploadEntry>,
    publishes: Vec<String>,
    queries: u32,
    /// Per item: its status and errmsg, once finished.
    outcomes: Option<Vec<(i64, String)>>,
}

#[derive(Debug, Default)]
struct Catalog {
    goods: BTreeMap<String, Goods>,
    last_upload: Option<Task>,
    last_publish: Option<Task>,
}

impl Catalog {
    fn running(&self) -> bool {
        [&self.last_upload, &self.last_publish].into_iter().flatten().any(|task| task.outcomes.is_none())
    }

    fn last_mut(&mut self, kind: Kind) -> Option<&mut Task> {
        match kind {
            Kind::Upload => self.last_upload.as_mut(),
            Kind::Publish => self.last_publish.as_mut(),
        }
    }

    /// Finishes the running task of `kind`, if any, applying it to the catalog.
    fn finish(&mut self, kind: Kind) -> bool {
        let Some(task) = self.last_mut(kind).filter(|task| task.outcomes.is_none()).cloned() else {
            return false;
        };
        let outcomes = match kind {
            Kind::Upload => task
                .uploads
                .iter()
                .map(|item| {
                    if self.goods.contains_key(&item.id) {
                        return (1, "the id exists already".to_owned());
                    }
                    let goods = Goods {
                        id: item.id.clone(),
                        name: item.name.clone(),
                        price: item.price,
                        remark: item.remark.clone(),
                        item_url: item.item_url.clone(),
                        published: false,
                    };
                    self.goods.insert(item.id.clone(), goods);
                    (2, String::new())
                })
                .collect(),
            Kind::Publish => task
                .publishes
                .iter()
                .map(|id| match self.goods.get_mut(id) {
                    Some(goods) => {
                        goods.published = true;
                        (2, String::new())
                    }
                    None => (3, "no goods with this id was uploaded".to_owned()),
                })
                .collect(),
        };
        if let Some(task) = self.last_mut(kind) {
            task.outcomes = Some(outcomes);
        }
        true
    }
}

#[derive(Debug, Default)]
struct Catalogs {
    envs: PerEnv<Catalog>,
}

impl Catalogs {
    fn of(&mut self, env: Env) -> &mut Catalog {
        self.envs.get_mut(env)
    }
}

/// The goods catalog of the local server; cheap to clone, every clone the same desk. See the
/// [module](self) for what it serves.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), midas_emulator::StartError> {
/// use midas_emulator::{Emulator, Env};
/// let emulator = Emulator::start().await?;
/// assert!(emulator.goods().catalog(Env::Sandbox).is_empty());
/// assert!(!emulator.goods().finish_task(Env::Sandbox), "no task runs");
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default)]
pub struct GoodsDesk {
    state: Arc<Mutex<Catalogs>>,
}

impl GoodsDesk {
    fn lock(&self) -> MutexGuard<'_, Catalogs> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every item uploaded to the catalog of `env`, by id.
    pub fn catalog(&self, env: Env) -> Vec<Goods> {
        self.lock().of(env).goods.values().cloned().collect()
    }

    /// The published items of `env`, by id.
    pub fn published(&self, env: Env) -> Vec<Goods> {
        self.lock().of(env).goods.values().filter(|goods| goods.published).cloned().collect()
    }

    /// Whether a task runs in `env`.
    pub fn task_running(&self, env: Env) -> bool {
        self.lock().of(env).running()
    }

    /// Finishes the running task of `env` now; `false` if none runs.
    pub fn finish_task(&self, env: Env) -> bool {
        let mut catalogs = self.lock();
        let catalog = catalogs.of(env);
        catalog.finish(Kind::Upload) || catalog.finish(Kind::Publish)
    }

    /// The routes of the desk's APIs.
    pub(crate) fn routes(&self) -> Vec<Route> {
        let (upload, query_upload, publish, query_publish) =
            (self.clone(), self.clone(), self.clone(), self.clone());
        [
            route("/xpay/start_upload_goods", move |request| upload.start_upload(request)),
            route("/xpay/query_upload_goods", move |request| query_upload.query(request, Kind::Upload)),
            route("/xpay/start_publish_goods", move |request| publish.start_publish(request)),
            route("/xpay/query_publish_goods", move |request| query_publish.query(request, Kind::Publish)),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    fn start_upload(&self, request: &RouteRequest<'_>) -> Result<RouteFields, RouteError> {
        let body: UploadBody = request.decode()?;
        if body.upload_item.is_empty() {
            return Err(request.invalid("upload_item", "must list at least one item"));
        }
        let mut ids = std::collections::HashSet::new();
        for item in &body.upload_item {
            if !goods_id(&item.id) {
                return Err(request.invalid("id", "must be 1 to 64 characters of [0-9A-Za-z_-]"));
            }
            if !ids.insert(item.id.as_str()) {
                return Err(request.invalid("id", "listed twice"));
            }
            if item.name.is_empty() || item.name.chars().count() > 1024 {
                return Err(request.invalid("name", "must be 1 to 1024 characters"));
            }
            if item.price <= 0 {
                return Err(request.invalid("price", "must be above 0"));
            }
        }
        let task = Task {
            kind: Kind::Upload,
            uploads: body.upload_item,
            publishes: Vec::new(),
            queries: 0,
            outcomes: None,
        };
        self.start(request, task)
    }

    fn start_publish(&self, request: &RouteRequest<'_>) -> Result<RouteFields, RouteError> {
        let body: PublishBody = request.decode()?;
        if body.publish_item.is_empty() {
            return Err(request.invalid("publish_item", "must list at least one id"));
        }
        let mut ids = Vec::new();
        for item in body.publish_item {
            if !goods_id(&item.id) {
                return Err(request.invalid("id", "must be 1 to 64 characters of [0-9A-Za-z_-]"));
            }
            if ids.contains(&item.id) {
                return Err(request.invalid("id", "listed twice"));
            }
            ids.push(item.id);
        }
        let task =
            Task { kind: Kind::Publish, uploads: Vec::new(), publishes: ids, queries: 0, outcomes: None };
        self.start(request, task)
    }

    fn start(&self, request: &RouteRequest<'_>, task: Task) -> Result<RouteFields, RouteError> {
        let mut catalogs = self.lock();
        let catalog = catalogs.of(request.env());
        if catalog.running() {
            return Err(RouteError::new(TASK_RUNNING, "a batch task is running; wait for it to finish"));
        }
        match task.kind {
            Kind::Upload => catalog.last_upload = Some(task),
            Kind::Publish => catalog.last_publish = Some(task),
        }
        Ok(RouteFields::new())
    }

    fn query(&self, request: &RouteRequest<'_>, kind: Kind) -> Result<RouteFields, RouteError> {
        let mut catalogs = self.lock();
        let catalog = catalogs.of(request.env());
        if let Some(task) = catalog.last_mut(kind).filter(|task| task.outcomes.is_none()) {
            task.queries = task.queries.saturating_add(1);
            if task.queries >= TASK_POLLS {
                catalog.finish(kind);
            }
        }
        let Some(task) = catalog.last_mut(kind) else {
            let list = match kind {
                Kind::Upload => "upload_item",
                Kind::Publish => "publish_item",
            };
            return Ok(fields(json!({ (list): [], "status": 0 })));
        };
        let outcome = |index: usize| {
            task.outcomes
                .as_ref()
                .and_then(|outcomes| outcomes.get(index).cloned())
                .unwrap_or((0, String::new()))
        };
        let status = match &task.outcomes {
            None => 1,
            Some(outcomes) if outcomes.iter().all(|(status, _)| *status == 2) => 3,
            Some(_) => 2,
        };
        Ok(match kind {
            Kind::Upload => {
                let items: Vec<Value> = task
                    .uploads
                    .iter()
                    .enumerate()
                    .map(|(index, item)| {
                        let (upload_status, errmsg) = outcome(index);
                        json!({
                            "id": item.id, "name": item.name, "price": item.price, "remark": item.remark,
                            "item_url": item.item_url, "upload_status": upload_status, "errmsg": errmsg,
                        })
                    })
                    .collect();
                fields(json!({ "upload_item": items, "status": status }))
            }
            Kind::Publish => {
                let items: Vec<Value> = task
                    .publishes
                    .iter()
                    .enumerate()
                    .map(|(index, id)| {
                        let (publish_status, errmsg) = outcome(index);
                        json!({ "id": id, "publish_status": publish_status, "errmsg": errmsg })
                    })
                    .collect();
                fields(json!({ "publish_item": items, "status": status }))
            }
        })
    }
}

/// 1 to 64 characters of `[0-9A-Za-z_-]`.
fn goods_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// An xpay route without the player's signature.
fn route(
    path: &str,
    handler: impl Fn(&RouteRequest<'_>) -> Result<RouteFields, RouteError> + Send + Sync + 'static,
) -> Option<Route> {
    Route::new(Scheme::Xpay, path, false, handler).ok()
}

/// The members of a JSON object.
fn fields(value: Value) -> RouteFields {
    match value {
        Value::Object(fields) => fields,
        _ => RouteFields::new(),
    }
}
