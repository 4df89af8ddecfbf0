//! The browser side's HTTP surface (the Playwright suite in end2end/ drives it in Chromium).

use crate::helpers::*;

#[tokio::test]
async fn stripe_js_and_its_frames_are_served_where_stripe_serves_them() {
    let emu = spawn_with(stripe_emulator::Options::default()).await;
    for path in ["/js.stripe.com/v3/", "/js.stripe.com/dahlia/stripe.js"] {
        let answer = emu.send(emu.http.get(emu.url(path))).await;
        assert_eq!(answer.status, 200, "{path}");
        assert_eq!(
            answer.header("content-type"),
            Some("application/javascript; charset=utf-8")
        );
        assert!(answer.text.contains("window.Stripe = Stripe"));
    }
    for path in [
        "/js.stripe.com/v3/elements-inner-payment.html",
        "/js.stripe.com/v3/three-ds-2-challenge.html",
        "/js.stripe.com/v3/three-ds-2-acs.html",
    ] {
        assert_eq!(
            emu.send(emu.http.get(emu.url(path))).await.status,
            200,
            "{path}"
        );
    }
    // The merchant test page exists only with the control API.
    assert_eq!(
        emu.send(emu.http.get(emu.url("/_emulator/test-page")))
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn every_page_that_speaks_to_the_shopper_carries_the_phrase_table() {
    let emu = spawn_with(stripe_emulator::Options::default()).await;
    for path in [
        "/js.stripe.com/v3/",
        "/js.stripe.com/v3/elements-inner-payment.html",
        "/js.stripe.com/v3/three-ds-2-challenge.html",
        "/js.stripe.com/v3/three-ds-2-acs.html",
    ] {
        let answer = emu.send(emu.http.get(emu.url(path))).await;
        assert!(
            !answer.text.contains("__STRIPE_EMULATOR_PHRASES__"),
            "{path} still has the marker"
        );
        assert!(
            answer.text.contains("验证您的付款"),
            "{path} lacks the table"
        );
    }
}

#[tokio::test]
async fn the_3ds_pages_take_only_stripe_shaped_values() {
    let emu = spawn().await;
    let (pi, _) = emu
        .confirmed_with(
            "pm_card_authenticationRequired",
            &[("return_url", "https://shop.test/r")],
        )
        .await;
    let hosted = emu
        .send(
            emu.http.get(
                pi["next_action"]["redirect_to_url"]["url"]
                    .as_str()
                    .unwrap(),
            ),
        )
        .await;
    assert_eq!(hosted.status, 200);
    assert!(hosted.text.contains("3D Secure 2 Test Page"));
    assert!(
        hosted.text.contains(r#"id="test-source-authorize-3ds""#)
            && hosted.text.contains(r#"id="test-source-fail-3ds""#)
    );
    assert!(hosted
        .text
        .contains(&format!(r#"action="/_emulator/3ds/{}/result""#, id(&pi))));
    let injected = emu
        .send(emu.http.get(
            emu.url("/_emulator/3ds/challenge?payment_intent=%22%3E%3Cscript%3E&client_secret=x"),
        ))
        .await;
    assert_eq!(injected.status, 400);
    assert!(!injected.text.contains("<script>"));
    let page = emu
        .send(emu.http.get(emu.url("/_emulator/test-page")))
        .await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains(&format!(
        r#"<script src="{}/js.stripe.com/v3/"></script>"#,
        emu.running.base_url
    )));
    assert!(
        !page.text.contains(&emu.keys().secret_key),
        "the secret key never reaches a page"
    );
}
