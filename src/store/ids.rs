//! The entity ids ([`crate::domain::ids`]) as SQL values: TEXT on both backends, the hyphenated
//! lowercase UUID, exactly what binding `id.to_string()` stored before.

use sqlx::decode::Decode;
use sqlx::encode::{Encode, IsNull};
use sqlx::error::BoxDynError;
use sqlx::{Database, Type};

use crate::domain::ids::*;

macro_rules! text_ids {
    ($($name:ident),* $(,)?) => {$(
        impl<DB: Database> Type<DB> for $name
        where
            String: Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <String as Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <String as Type<DB>>::compatible(ty)
            }
        }

        impl<'q, DB: Database> Encode<'q, DB> for $name
        where
            String: Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as Database>::ArgumentBuffer<'q>,
            ) -> Result<IsNull, BoxDynError> {
                <String as Encode<'q, DB>>::encode(self.to_string(), buf)
            }
        }

        impl<'r, DB: Database> Decode<'r, DB> for $name
        where
            &'r str: Decode<'r, DB>,
        {
            fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<$name, BoxDynError> {
                let raw = <&'r str as Decode<'r, DB>>::decode(value)?;
                Ok($name::parse(raw)?)
            }
        }
    )*};
}

crate::for_each_entity_id!(text_ids);

#[cfg(test)]
mod tests {
    use super::*;

    /// An id is bound and read back as the very text a bare `Uuid::to_string` gave.
    #[tokio::test]
    async fn an_id_is_stored_as_its_hyphenated_text() {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:")
            .await
            .unwrap();
        let id = ClientId::new();
        let (text, back, kind): (String, ClientId, String) =
            sqlx::query_as("SELECT $1, $1, typeof($1)")
                .bind(id)
                .fetch_one(&mut conn)
                .await
                .unwrap();
        assert_eq!(text, id.as_uuid().to_string());
        assert_eq!(back, id);
        assert_eq!(kind, "text");
        let bad: Result<(ClientId,), _> = sqlx::query_as("SELECT 'not-an-id'")
            .fetch_one(&mut conn)
            .await;
        assert!(bad.is_err());
    }
}
