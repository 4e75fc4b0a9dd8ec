using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Latch.Data.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class AppleChannel : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "UnenrolledAt",
                table: "Devices",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "AppleEnrollments",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    UserId = table.Column<Guid>(type: "uuid", nullable: false),
                    IssuedBy = table.Column<string>(type: "character varying(400)", maxLength: 400, nullable: false),
                    IssuedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    CertificateThumbprint = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    CertificateNotAfter = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    DeviceId = table.Column<Guid>(type: "uuid", nullable: true),
                    Udid = table.Column<string>(type: "character varying(400)", maxLength: 400, nullable: true),
                    State = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    AuthenticatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    TokenUpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    EndedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    Topic = table.Column<string>(type: "character varying(400)", maxLength: 400, nullable: true),
                    PushToken = table.Column<string>(type: "character varying(400)", maxLength: 400, nullable: true),
                    PushMagic = table.Column<string>(type: "character varying(400)", maxLength: 400, nullable: true),
                    PushTokenInvalidAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    ProtectedUnlockToken = table.Column<string>(type: "character varying(8000)", maxLength: 8000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AppleEnrollments", x => x.Id);
                    table.ForeignKey(
                        name: "FK_AppleEnrollments_Users_UserId",
                        column: x => x.UserId,
                        principalTable: "Users",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "StoredSecrets",
                columns: table => new
                {
                    Name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    ProtectedValue = table.Column<string>(type: "text", maxLength: 2147483647, nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_StoredSecrets", x => x.Name);
                });

            migrationBuilder.CreateIndex(
                name: "IX_AppleEnrollments_CertificateThumbprint",
                table: "AppleEnrollments",
                column: "CertificateThumbprint",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_AppleEnrollments_DeviceId",
                table: "AppleEnrollments",
                column: "DeviceId");

            migrationBuilder.CreateIndex(
                name: "IX_AppleEnrollments_Udid",
                table: "AppleEnrollments",
                column: "Udid");

            migrationBuilder.CreateIndex(
                name: "IX_AppleEnrollments_UserId",
                table: "AppleEnrollments",
                column: "UserId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "AppleEnrollments");

            migrationBuilder.DropTable(
                name: "StoredSecrets");

            migrationBuilder.DropColumn(
                name: "UnenrolledAt",
                table: "Devices");
        }
    }
}
