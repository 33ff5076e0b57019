//! A real headless Chromium, driven over WebDriver, for tests of what a person sees.
//!
//! [`Browser::start`] runs Debian's `chromedriver` on a free port with a fresh profile and opens a
//! session in `chromium`; the test then clicks through the dashboard with `fantoccini`. Missing
//! binaries fail the test with the command that installs them: the browser test never skips.

use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use crate::free_port;

/// Chromium flags that work in a container, as root, with no network but loopback.
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
];

pub struct Browser {
    pub client: Client,
    _driver: Driver,
}

/// chromedriver in a process group of its own, with the Chromium it starts and their profile.
/// Dropping it kills the group, so a failing test leaves no browser behind.
struct Driver {
    child: Child,
    profile: PathBuf,
}

/// Finds `name` on PATH, or fails the test saying how to get it.
fn required(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "{name} is not installed, and the browser test needs it: run ./test.sh, which \
                 installs chromium and chromium-driver with apt-get (or install them yourself: \
                 apt-get install chromium chromium-driver)"
            )
        })
}

impl Browser {
    /// Starts chromedriver and a headless Chromium whose page area (the CSS viewport, what a
    /// page's media queries and `innerHeight` see) is `width` × `height`.
    pub async fn start(width: u32, height: u32) -> Browser {
        let chromium = required("chromium");
        let chromedriver = required("chromedriver");
        let port = free_port();
        let child = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {}: {e}", chromedriver.display()));
        let mut driver = Driver {
            child,
            profile: std::env::temp_dir()
                .join(format!("oversold-chromium-{}", uuid::Uuid::new_v4())),
        };
        let client = connect_when_ready(port, &mut driver, &chromium, width, height).await;
        size_the_page_area(&client, width, height).await;
        Browser {
            client,
            _driver: driver,
        }
    }

    /// Ends the browser session; chromedriver is stopped when `self` drops.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

async fn connect_when_ready(
    port: u16,
    driver: &mut Driver,
    chromium: &Path,
    width: u32,
    height: u32,
) -> Client {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = driver.child.try_wait() {
            panic!("chromedriver exited before it listened, with {status}");
        }
        assert!(
            Instant::now() < deadline,
            "chromedriver did not listen on port {port} within 20 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|f| f.to_string()).collect();
    args.push(format!("--user-data-dir={}", driver.profile.display()));
    args.push(format!("--window-size={width},{height}"));
    let mut capabilities = Capabilities::new();
    capabilities.insert(
        "goog:chromeOptions".to_string(),
        json!({ "binary": chromium, "args": args }),
    );
    ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .unwrap_or_else(|e| panic!("chromedriver could not open a Chromium session: {e}"))
}

/// `--window-size` sizes the window, and Chromium's own frame takes part of it (at 853 × 480 the
/// page got 853 × 337): the window is grown by what the frame takes, then checked.
async fn size_the_page_area(client: &Client, width: u32, height: u32) {
    let page_area = || async {
        let inner = client
            .execute("return [window.innerWidth, window.innerHeight]", vec![])
            .await
            .expect("the browser runs a script");
        let size = |i: usize| inner[i].as_u64().expect("a size in CSS pixels") as u32;
        (size(0), size(1))
    };
    client.goto("about:blank").await.expect("a blank page");
    let (w, h) = page_area().await;
    if (w, h) != (width, height) {
        let grown = (
            width + width.saturating_sub(w),
            height + height.saturating_sub(h),
        );
        client
            .set_window_size(grown.0, grown.1)
            .await
            .expect("the window can be resized");
    }
    assert_eq!(
        page_area().await,
        (width, height),
        "the page area is the size asked for"
    );
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The group id is chromedriver's pid (process_group(0)); Chromium is in it too.
        if let Ok(pid) = i32::try_from(self.child.id()) {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
