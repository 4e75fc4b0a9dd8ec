using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Latch.Data.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class AppleChannel : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "UnenrolledAt",
                table: "Devices",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "AppleEnrollments",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    UserId = table.Column<Guid>(type: "TEXT", nullable: false),
                    IssuedBy = table.Column<string>(type: "TEXT", maxLength: 400, nullable: false),
                    IssuedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    CertificateThumbprint = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    CertificateNotAfter = table.Column<long>(type: "INTEGER", nullable: false),
                    DeviceId = table.Column<Guid>(type: "TEXT", nullable: true),
                    Udid = table.Column<string>(type: "TEXT", maxLength: 400, nullable: true),
                    State = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    AuthenticatedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    TokenUpdatedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    EndedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    Topic = table.Column<string>(type: "TEXT", maxLength: 400, nullable: true),
                    PushToken = table.Column<string>(type: "TEXT", maxLength: 400, nullable: true),
                    PushMagic = table.Column<string>(type: "TEXT", maxLength: 400, nullable: true),
                    PushTokenInvalidAt = table.Column<long>(type: "INTEGER", nullable: true),
                    ProtectedUnlockToken = table.Column<string>(type: "TEXT", maxLength: 8000, nullable: true)
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
                    Name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    ProtectedValue = table.Column<string>(type: "TEXT", maxLength: 2147483647, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false)
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
