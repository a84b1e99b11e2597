//! Account management in the browser, for admins (the `user` commands do
//! the same on the server): list, add, disable.

use super::auth::{CheckedForm, Signed};
use super::error::Failure;
use super::queue::user_ctx;
use super::roles::Role;
use super::views::short_time;
use super::{blocking, State};
use crate::dates::now;
use axum::extract::{Path, State as AxumState};
use axum::response::{Html, IntoResponse, Redirect, Response};

fn admin_only(s: &super::accounts::Session) -> Result<(), Failure> {
    if s.user.role.may_admin() {
        Ok(())
    } else {
        Err(Failure::forbidden("only an admin manages users"))
    }
}

pub async fn page(
    AxumState(state): AxumState<State>,
    Signed(session): Signed,
) -> Result<Html<String>, Failure> {
    admin_only(&session)?;
    let st = state.clone();
    let users = blocking(move || Ok(st.accounts.db.users()?)).await?;
    let rows: Vec<_> = users
        .iter()
        .map(|u| {
            minijinja::context! {
                name => u.name,
                role => u.role.as_str(),
                created_at => short_time(u.created_at),
                disabled => u.disabled,
            }
        })
        .collect();
    Ok(state.views.render(
        "users.html",
        minijinja::context! {
            title => "Users",
            active => "users",
            user => user_ctx(&session.user),
            csrf => session.csrf,
            users => rows,
        },
    ))
}

pub async fn add(AxumState(state): AxumState<State>, form: CheckedForm) -> Response {
    if let Err(f) = admin_only(&form.session) {
        return f.into_response();
    }
    let name = form.fields.text("name").unwrap_or_default();
    let Some(role) = form.fields.get("role").and_then(Role::parse) else {
        return Failure::bad_request("choose a role: auditor, dpo or admin").into_response();
    };
    let password = form.fields.get("password").unwrap_or_default().to_string();
    let st = state.clone();
    let by = form.session.user.name.clone();
    let who = super::queue::actor(&form.session.user);
    match blocking(move || {
        st.accounts.add_user(&name, role, &password, now())?;
        st.accounts.audit(
            "user_added",
            &name,
            &who,
            serde_json::json!({ "role": role.as_str() }),
        )?;
        Ok(())
    })
    .await
    {
        Ok(()) => {
            tracing::info!(by = %by, role = role.as_str(), "console user added");
            Redirect::to("/users").into_response()
        }
        Err(f) => f.into_response(),
    }
}

pub async fn disable(
    AxumState(state): AxumState<State>,
    Path(name): Path<String>,
    form: CheckedForm,
) -> Response {
    if let Err(f) = admin_only(&form.session) {
        return f.into_response();
    }
    if name == form.session.user.name {
        return Failure::bad_request("you cannot disable your own account").into_response();
    }
    let st = state.clone();
    let who = super::queue::actor(&form.session.user);
    match blocking(move || {
        st.accounts.db.disable_user(&name)?;
        st.accounts
            .audit("user_disabled", &name, &who, serde_json::json!({}))?;
        Ok(())
    })
    .await
    {
        Ok(()) => Redirect::to("/users").into_response(),
        Err(f) => f.into_response(),
    }
}
