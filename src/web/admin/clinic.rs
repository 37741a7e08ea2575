//! The clinic's record, as payers see it.

use actix_web::HttpResponse;
use maud::html;

use super::ADMINS;
use crate::store::organization;
use crate::web::error::WebError;
use crate::web::format;
use crate::web::page::Page;

/// `GET /admin/clinic`: the clinic's record as claims and verifications carry it.
pub async fn clinic(page: Page) -> Result<HttpResponse, WebError> {
    page.require(ADMINS)?;
    let mut tx = page.ctx.read_each().await?;
    let clinic = organization::get(&mut tx).await?;
    tx.commit().await?;
    let content = html! {
        h1 { "Clinic" }
        p.lede { "The clinic as payers see it on every verification and claim." }
        div.card {
            @match &clinic {
                None => p.notice.warn {
                    "The clinic's record is not set up yet: verifications and claims need its \
                     name, NPI and address. Set it with PUT /api/v1/organization."
                },
                Some(stored) => {
                    @let org = &stored.organization;
                    dl.facts {
                        dt { "Legal name" } dd { (org.legal_name) }
                        dt { "NPI" } dd { (org.npi.as_str()) }
                        dt { "Tax id" } dd { (org.tax_id) }
                        dt { "Taxonomy" } dd { (org.taxonomy_code) }
                        dt { "Address" } dd {
                            (org.address.line1)
                            @if let Some(line2) = &org.address.line2 { ", " (line2) }
                            ", " (org.address.city) ", " (org.address.state) " "
                            (org.address.postal_code)
                        }
                        dt { "Phone" } dd { (format::phone(org.phone.as_str())) }
                        dt { "Last changed" } dd { (format::date_time(stored.updated_at)) }
                    }
                }
            }
        }
    };
    Ok(page.render("/admin/clinic", "Clinic", content))
}
