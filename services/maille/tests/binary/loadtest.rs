use crate::helpers::{stderr, stdout, Instance, BIN};

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
    let figure = |name: &str| -> String {
        report
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no `{name}` in {report}"))[name.len()..]
            .trim()
            .to_owned()
    };
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
