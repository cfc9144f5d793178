use crate::helpers::{stderr, stdout, Instance, BIN};

/// The value a load tool's report prints after `name`.
fn figure(report: &str, name: &str) -> String {
    report
        .lines()
        .find(|l| l.starts_with(name))
        .unwrap_or_else(|| panic!("no `{name}` in {report}"))[name.len()..]
        .trim()
        .to_owned()
}

#[tokio::test]
async fn the_pads_load_tool_drives_a_server_and_reports_its_figures() {
    let instance = Instance::new();
    let mut server = instance
        .serve_with(&["serve"], &[("MAILLE_PADS__ANONYMOUS_CREATION", "true")])
        .await;
    let pid = server.id().to_string();
    let url = format!("ws://127.0.0.1:{}/ws/pads", instance.port);
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(BIN)
            .args([
                "loadtest",
                "pads",
                "--url",
                &url,
                "--pads",
                "2",
                "--editors",
                "3",
            ])
            .args([
                "--interval-ms",
                "100",
                "--duration",
                "2",
                "--server-pid",
                &pid,
            ])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let report = stdout(&output);
    let figure = |name: &str| figure(&report, name);
    assert_eq!(figure("editors connected"), "6");
    assert_eq!(figure("errors (editors that failed)"), "0");
    let samples: u64 = figure("latency samples").parse().unwrap();
    assert!(samples > 0, "{report}");
    assert!(figure("fan-out latency p95").ends_with(" ms"));
    assert!(figure("server resident memory").ends_with(" MB"));
    server.kill().unwrap();
    server.wait().unwrap();

    // Nobody to talk to: a failure, said plainly.
    let refused = std::process::Command::new(BIN)
        .args([
            "loadtest",
            "pads",
            "--url",
            "ws://127.0.0.1:1/ws/pads",
            "--pad",
            "x",
        ])
        .args(["--editors", "1", "--duration", "1"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("no editor could connect"));
}

/// Whether this process may capture packets (root) and `tcpdump` is installed: the rooms load
/// tool's measurement on the wire needs both.
fn can_capture() -> bool {
    let root = std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|v| v.split_whitespace().nth(1))
            == Some("0")
    });
    let tcpdump = std::process::Command::new("tcpdump")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    root && tcpdump
}

#[tokio::test]
async fn the_rooms_load_tool_forwards_through_a_server_and_measures_it_on_the_wire() {
    let instance = Instance::new();
    let mut server = instance
        .serve_with(
            &["serve"],
            &[
                ("MAILLE_ROOMS__ANONYMOUS_ROOMS", "true"),
                ("MAILLE_ROOMS__UDP_ADDRESS", "127.0.0.1"),
                ("MAILLE_ROOMS__UDP_PORT_MIN", "0"),
                ("MAILLE_ROOMS__UDP_PORT_MAX", "0"),
            ],
        )
        .await;
    let pid = server.id().to_string();
    let url = format!("http://127.0.0.1:{}", instance.port);
    let wire = can_capture();
    if !wire {
        eprintln!("not root or no tcpdump: the measurement on the wire is not exercised");
    }
    let output = tokio::task::spawn_blocking(move || {
        let mut command = std::process::Command::new(BIN);
        command
            .args(["loadtest", "rooms", "--url", &url, "--rooms", "1"])
            .args(["--publishers", "2", "--subscribers", "1", "--duration", "3"])
            .args(["--server-pid", &pid]);
        if wire {
            command.args(["--wire-interface", "lo"]);
        }
        command.output().unwrap()
    })
    .await
    .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let report = stdout(&output);
    let figure = |name: &str| figure(&report, name);
    assert_eq!(figure("participants joined"), "3");
    assert_eq!(figure("errors (participants that failed)"), "0");
    // Two publishers, each heard and seen by the two others: packets went through.
    let forwarded: u64 = figure("packets forwarded per second").parse().unwrap();
    assert!(forwarded > 0, "{report}");
    assert!(figure("server CPU per forwarded packet").ends_with(" us"));
    if wire {
        // Every packet a subscriber received is found twice in the capture: as its
        // publisher sent it and as the server forwarded it.
        let paired = figure("packets paired on the wire");
        let count: u64 = paired.split_whitespace().next().unwrap().parse().unwrap();
        assert!(count > 0, "{report}");
        assert!(figure("added by the server, on the wire p50 / p99 / max").ends_with(" ms"));
    }
    server.kill().unwrap();
    server.wait().unwrap();
}
