//! The command line: `serve`, `migrate`, `admin user ...`, `config example|check`.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use maille_accounts::cli::{self as accounts_cli, NewAccount};
use maille_config::Settings;
use maille_mail::Mailer;
use tokio_util::task::TaskTracker;

use crate::startup::{open_database, Application, Service, Services};

/// Maille: pads, video rooms and federation for small independent hosts.
#[derive(Debug, Parser)]
#[command(name = "maille", version, about)]
pub struct Cli {
    /// Configuration file (TOML). `MAILLE_*` environment variables override it.
    #[arg(long, short, global = true, env = "MAILLE_CONFIG_FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (every service, or those named with --only).
    Serve {
        /// Services to mount, comma-separated: accounts, spaces, pads, rooms, web.
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Administration from the command line.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Load generators that measure a running server (see `maille loadtest pads --help`).
    Loadtest {
        #[command(subcommand)]
        command: crate::loadtest::Loadtest,
    },
    /// The configuration.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Who may federate: domain blocks and allows (see docs/federation.md).
    Federation {
        #[command(subcommand)]
        command: FederationCommand,
    },
}

#[derive(Debug, Subcommand)]
enum FederationCommand {
    /// Block a domain (and its subdomains): nothing is received from, sent to or fetched from it.
    Block {
        domain: String,
        /// Why (kept for admins).
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Remove a block.
    Unblock { domain: String },
    /// Allow a domain (for `federation.mode = "allowlist"`).
    Allow {
        domain: String,
        /// Why (kept for admins).
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Remove an allow.
    Disallow { domain: String },
    /// List blocked and allowed domains.
    List,
}

#[derive(Debug, Args)]
struct PasswordArgs {
    /// The password (visible to other local users in the process list: prefer --password-stdin).
    #[arg(long, conflicts_with = "password_stdin")]
    password: Option<String>,
    /// Read the password from standard input.
    #[arg(long)]
    password_stdin: bool,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create an account (verified and approved). Without a password, one is made and printed.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
        #[command(flatten)]
        password: PasswordArgs,
        /// Make it an administrator.
        #[arg(long)]
        admin: bool,
    },
    /// Set a new password and end the account's sessions. Without one, one is made and printed.
    ResetPassword {
        username: String,
        #[command(flatten)]
        password: PasswordArgs,
    },
    /// Make an account an administrator.
    Promote { username: String },
    /// Disable an account and end its sessions (--enable to undo).
    Disable {
        username: String,
        #[arg(long)]
        enable: bool,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print a commented example configuration with every key and its default.
    Example,
    /// Check the configuration (file and environment) and print it, secrets hidden.
    Check,
}

/// Runs the command; the exit code is non-zero on any failure.
pub fn run(cli: Cli) -> ExitCode {
    if let Command::Config {
        command: ConfigCommand::Example,
    } = &cli.command
    {
        print!("{}", maille_config::reference::example_toml());
        return ExitCode::SUCCESS;
    }
    // A load generator needs no configuration: it talks to a server from outside.
    if let Command::Loadtest { command } = cli.command {
        return match tokio::runtime::Runtime::new() {
            Ok(runtime) => match runtime.block_on(crate::loadtest::run(command)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("maille loadtest: {error:#}");
                    ExitCode::FAILURE
                }
            },
            Err(error) => {
                eprintln!("maille: cannot start the runtime: {error}");
                ExitCode::FAILURE
            }
        };
    }
    let settings = match maille_config::load(cli.config.as_deref()) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("maille: {error}");
            return ExitCode::from(2);
        }
    };
    crate::logging::init(&settings.logging);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("maille: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(execute(cli.command, settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("maille: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn read_password(args: PasswordArgs) -> anyhow::Result<Option<String>> {
    if args.password_stdin {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading the password")?;
        return Ok(Some(text.trim_end_matches(['\n', '\r']).to_owned()));
    }
    Ok(args.password)
}

async fn execute(command: Command, settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Serve { only } => {
            let services = if only.is_empty() {
                Service::ALL.to_vec()
            } else {
                only.iter()
                    .map(|name| {
                        Service::parse(name).with_context(|| {
                            format!(
                                "unknown service `{name}` (use accounts, spaces, pads, rooms, web)"
                            )
                        })
                    })
                    .collect::<anyhow::Result<Vec<_>>>()?
            };
            let app = Application::build(settings, &services).await?;
            app.run_until_stopped().await
        }
        Command::Migrate => {
            open_database(&settings).await?;
            println!("The database is up to date.");
            Ok(())
        }
        Command::Config {
            command: ConfigCommand::Check,
        } => {
            println!("{}", toml::to_string_pretty(&settings).unwrap_or_default());
            Ok(())
        }
        Command::Config {
            command: ConfigCommand::Example,
        }
        | Command::Loadtest { .. } => Ok(()),
        Command::Admin {
            command: AdminCommand::User { command },
        } => admin_user(command, settings).await,
        Command::Admin {
            command: AdminCommand::Federation { command },
        } => admin_federation(command, settings).await,
    }
}

async fn admin_federation(command: FederationCommand, settings: Settings) -> anyhow::Result<()> {
    use maille_federation::policy::cli::{self as federation_cli, Action};
    let db = open_database(&settings).await?;
    tokio::task::spawn_blocking(move || {
        let (action, domain, reason) = match command {
            FederationCommand::List => {
                let rows = federation_cli::list(&db).map_err(|e| anyhow::anyhow!("{e}"))?;
                println!("mode: {}", settings.federation.mode.code());
                for row in rows {
                    println!("{}\t{}\t{}", row.policy, row.domain, row.reason);
                }
                return Ok(());
            }
            FederationCommand::Block { domain, reason } => (Action::Block, domain, reason),
            FederationCommand::Unblock { domain } => (Action::Unblock, domain, String::new()),
            FederationCommand::Allow { domain, reason } => (Action::Allow, domain, reason),
            FederationCommand::Disallow { domain } => (Action::Disallow, domain, String::new()),
        };
        let line = federation_cli::run(&db, action, &domain, &reason)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        println!("{line}");
        Ok(())
    })
    .await?
}

async fn admin_user(command: UserCommand, settings: Settings) -> anyhow::Result<()> {
    let settings = Arc::new(settings);
    let db = open_database(&settings).await?;
    let mailer = Mailer::new(
        &settings.mail,
        &settings.outbox_dir(),
        &settings.instance_name,
    )?;
    let tasks = TaskTracker::new();
    let services = Services::new(db, mailer, settings, tasks.clone());
    let accounts = &services.accounts;
    let outcome = match command {
        UserCommand::Create {
            username,
            email,
            password,
            admin,
        } => {
            let given = read_password(password)?;
            let password = given
                .clone()
                .unwrap_or_else(|| maille_accounts::generate_token()[..20].to_owned());
            accounts_cli::create_user(
                accounts,
                NewAccount {
                    username: username.clone(),
                    email,
                    password: password.clone(),
                    admin,
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "Account @{username} created{}.",
                if admin { " (administrator)" } else { "" }
            );
            if given.is_none() {
                println!("Its password, shown only now: {password}");
            }
            Ok(())
        }
        UserCommand::ResetPassword { username, password } => {
            let given = read_password(password)?;
            let shown = given.is_none();
            let password = accounts_cli::reset_password(accounts, &username, given)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("Password of @{username} changed; their sessions have ended.");
            if shown {
                println!("The new password, shown only now: {password}");
            }
            Ok(())
        }
        UserCommand::Promote { username } => {
            accounts_cli::promote(accounts, &username)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("@{username} is now an administrator.");
            Ok(())
        }
        UserCommand::Disable { username, enable } => {
            accounts_cli::set_disabled(accounts, &username, !enable)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "@{username} is now {}.",
                if enable { "enabled" } else { "disabled" }
            );
            Ok(())
        }
    };
    tasks.close();
    tasks.wait().await;
    outcome
}
